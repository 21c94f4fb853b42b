// `koa2` is the npm alias npm:koa@^2 (a devDependency): typed with Koa 3's declarations, which cover the
// small surface the conformance app uses.
declare module 'koa2' {
  import Koa from 'koa'
  export default Koa
}
