/**
 * The development loop's test (`npm run test:dev-loop`, run by CI beside `npm test`) runs alone:
 * `nest start --watch` compiles into dist/, which the other tiers' API and worker processes are
 * started from, so it must not run while they do. Same settings as the e2e tier otherwise.
 */
const base = require('./jest.config');

const e2e = base.projects.find((project) => project.displayName === 'e2e');
module.exports = { ...base, projects: [{ ...e2e, displayName: 'dev-loop', testMatch: ['<rootDir>/test/dev/**/*.dev-spec.ts'] }] };
