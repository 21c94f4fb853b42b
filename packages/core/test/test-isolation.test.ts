import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MODULE_MOCKING_FILES } from './module-mocking-files.js'

const PACKAGE_DIR = join(import.meta.dirname, '..')
// Split so that this file does not name itself as one that mocks.
const MOCKING_CALL = new RegExp(['vi\\.(mock|doMock)', '\\('].join(''))

describe('test isolation', () => {
  it('every test file that replaces a module runs isolated (module-mocking-files.ts), and only those', () => {
    const testFiles = readdirSync(join(PACKAGE_DIR, 'test'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.test.ts'))
      .map((file) => `test/${file.split('\\').join('/')}`)
    const mocking = testFiles.filter((file) => MOCKING_CALL.test(readFileSync(join(PACKAGE_DIR, file), 'utf8'))).sort()
    expect(mocking).toEqual([...MODULE_MOCKING_FILES].sort())
  })
})
