import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'clients/typescript/dist/**',
      'node_modules/**',
      'coverage/**',
      '.data/**',
      'jest.config.js',
      'jest.dev.config.js',
      'scripts/register-paths.js',
      'scripts/write-test-policy.js',
      'scripts/readme/extract.js',
      'test/support/swagger-plugin.transformer.js',
      'eslint.config.mjs',
      // Generated from openapi.json (npm run sdk); checked by npm run sdk:check instead.
      'clients/typescript/src/operations.ts',
      'clients/typescript/src/schema.d.ts',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Promises: none forgotten, none handed to something that does not await it.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      'no-console': 'error',
      // Libs reach each other only through their public surface (index.ts, via @lib/*).
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@lib/*/*', '**/libs/*/src/*'], message: "import another lib through '@lib/<name>' (its index.ts)" }] },
      ],
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*.int-spec.ts', 'scripts/**/*.ts', 'tools/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
