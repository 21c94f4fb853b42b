/* eslint-disable no-console -- a command-line script reports what it wrote */
// `npm run generate`: rewrites every vector file from the keys and the case files.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildVectorFiles, readCommittedVectorFiles, VECTORS_DIR } from './lib/build.mjs'

const committed = readCommittedVectorFiles()
const { files, freshSignatures } = await buildVectorFiles(committed)
let vectors = 0
for (const [name, text] of files) {
  writeFileSync(join(VECTORS_DIR, name), text)
  const count = JSON.parse(text).vectors.length
  vectors += count
  console.log(`${name.padEnd(24)} ${String(count).padStart(4)} vectors${committed.get(name) === text ? '' : '  (changed)'}`)
}
for (const name of committed.keys()) if (!files.has(name)) console.log(`${name}: not produced by the generator; delete it or add a case file`)
console.log(`${vectors} vectors in ${files.size} files; ${freshSignatures} new randomized (ES*/PS*) signatures`)
