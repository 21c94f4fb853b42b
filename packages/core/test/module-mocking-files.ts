/**
 * Test files that replace a module (vi.mock, vi.doMock). They run isolated, each in a fresh module graph
 * (vitest.config.ts, project `module-mocks`): in the shared project a mocked module stays in the worker's module
 * cache, and every file that runs after it there imports the mock. webcrypto-path.test.ts's mock (node:crypto keys
 * "not available") made later files verify on WebCrypto: signature-workers.test.ts then failed at random, and a
 * "through node:crypto" suite could pass without node:crypto. test/test-isolation.test.ts keeps this list whole.
 */
export const MODULE_MOCKING_FILES: readonly string[] = ['test/key-material-verdicts.test.ts', 'test/webcrypto-path.test.ts']
