// `express4` is the npm alias npm:express@^4 (a devDependency): typed with Express 5's declarations, which
// cover the small surface the conformance app uses.
declare module 'express4' {
  import express from 'express'
  export default express
}
