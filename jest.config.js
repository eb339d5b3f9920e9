/**
 * Three tiers (see README): unit specs beside the code (*.spec.ts, and test/architecture) need
 * nothing running; integration specs of services on real PostgreSQL (*.int-spec.ts) and HTTP
 * end-to-end specs (test/e2e/*.e2e-spec.ts, in-process or against API_URL) share one fresh
 * database per run, made by their global setup (embedded PostgreSQL unless DATABASE_URL is set)
 * and dropped by its teardown. Only the database tiers run that setup.
 */
const paths = {
  '^@lib/(.*)$': '<rootDir>/libs/$1/src',
  '^@migrations$': '<rootDir>/migrations/schema',
  '^@control-plane/client$': '<rootDir>/clients/typescript/src',
  '^@tools/harness$': '<rootDir>/tools/harness',
};
// The Swagger CLI plugin of nest-cli.json runs here too, so an in-process app documents its DTOs as the built one does.
const swaggerPlugin = '<rootDir>/test/support/swagger-plugin.transformer.js';
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', astTransformers: { before: [swaggerPlugin] } }] };
const common = {
  rootDir: __dirname,
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: paths,
  transform,
  testEnvironment: 'node',
};
const database = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/**
 * `npm test -- --coverage` (CI) measures the code of apps/ and libs/ across the tiers that run it
 * in-process, and fails below these floors: set just under the figures measured when they were
 * set, so coverage can only go up (raise them when it does).
 */
const coverage = {
  collectCoverageFrom: [
    '<rootDir>/{apps,libs}/**/src/**/*.ts',
    '!**/*.spec.ts',
    '!**/*.int-spec.ts',
    '!<rootDir>/apps/console/**',
    '!**/index.ts',
  ],
  coverageReporters: ['text-summary', 'json-summary'],
  // Measured 2026-12-04 (npm test -- --coverage): lines 86.5, statements 83.9, functions 82.5, branches 72.0.
  coverageThreshold: { global: { lines: 85, statements: 83, functions: 81, branches: 71 } },
};

module.exports = {
  ...common,
  ...coverage,
  maxWorkers: 2,
  // Real PostgreSQL and real worker processes on two shared cores: generous, never a speed assertion.
  testTimeout: 60_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.spec.ts', '<rootDir>/test/architecture/**/*.spec.ts'],
    },
    {
      ...common,
      ...database,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts', '<rootDir>/test/{architecture,integration}/**/*.int-spec.ts'],
    },
    { ...common, ...database, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    // The operator console in Debian's Chromium (headless), against the API and a worker in processes of their own.
    { ...common, ...database, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] },
  ],
};
