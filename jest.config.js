/**
 * Three tiers (see README): unit specs beside the code (*.spec.ts), integration specs of services
 * on real PostgreSQL (*.int-spec.ts), and HTTP end-to-end specs (test/e2e/*.e2e-spec.ts) that run
 * in-process or against API_URL. The database tiers share one fresh database per run, made by
 * the global setup (embedded PostgreSQL unless DATABASE_URL is set) and dropped by the teardown.
 */
const paths = {
  '^@lib/(.*)$': '<rootDir>/libs/$1/src',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const common = { rootDir: __dirname, moduleFileExtensions: ['ts', 'js', 'json'], moduleNameMapper: paths, transform, testEnvironment: 'node' };

module.exports = {
  ...common,
  maxWorkers: 2,
  // Real PostgreSQL and real worker processes on two shared cores: generous, never a speed assertion.
  testTimeout: 60_000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
    },
  ],
};
