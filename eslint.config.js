import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.venv/**', '**/.turbo/**', '**/coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': ['error', { allow: [] }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // CLIs, demos, benchmarks and tests talk to a terminal on purpose.
    files: ['**/src/cli/**', '**/bin/**', '**/test/**', '**/bench/**', '**/scripts/**', 'packages/demo/**'],
    rules: { 'no-console': 'off' },
  },
)
