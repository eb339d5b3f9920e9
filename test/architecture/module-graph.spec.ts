import { ownerOf, sourceFiles } from './source-files';

/**
 * The module map, bottom up. A lib may import only libs listed before it that it names here;
 * apps import libs and never each other. docs/architecture.md shows the same map.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  telemetry: [],
  common: [],
  config: [],
  database: ['common', 'config', 'telemetry'],
  audit: ['common', 'config', 'database'],
  'state-machine': ['common', 'database', 'audit'],
  identity: ['common', 'config', 'database', 'audit'],
  policy: ['common', 'config', 'database', 'audit', 'identity'],
  execution: ['common', 'config', 'database', 'audit', 'state-machine', 'identity', 'policy', 'telemetry'],
  approval: ['common', 'database', 'audit', 'state-machine', 'identity', 'policy', 'execution', 'telemetry'],
  grants: ['common', 'database', 'audit', 'state-machine', 'identity', 'policy', 'execution', 'approval'],
  runner: ['common', 'config', 'database', 'audit', 'identity', 'policy', 'execution', 'approval', 'grants', 'telemetry'],
  sweeper: ['common', 'config', 'approval', 'grants', 'telemetry'],
  notifications: ['common', 'config', 'database', 'audit', 'identity', 'telemetry'],
  orchestration: ['common', 'config', 'database', 'audit', 'identity', 'policy', 'execution', 'approval', 'grants', 'runner', 'telemetry'],
};

/** Infrastructure only: everything else is imported where it is used. */
const GLOBAL_MODULES = new Set([
  'libs/config/src/config.module.ts',
  'libs/database/src/database.module.ts',
  'libs/telemetry/src/telemetry.module.ts',
]);

/** A lib's tests too: a spec that needs the libs above its own is a scenario, and lives in test/integration. */
const files = [...sourceFiles('libs', { withTests: true }), ...sourceFiles('apps', { withTests: true })];

describe('the module graph', () => {
  it('every lib is on the map', () => {
    const libs = new Set(files.filter((file) => file.path.startsWith('libs/')).map((file) => ownerOf(file.path)));
    expect([...libs].sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it('dependencies point one way: a lib imports only the libs below it that the map allows', () => {
    const violations: string[] = [];
    for (const file of files) {
      const owner = ownerOf(file.path);
      for (const [, target] of file.text.matchAll(/from '@lib\/([a-z-]+)'/g)) {
        if (target === owner) violations.push(`${file.path} imports its own lib through @lib/${target}`);
        else if (!owner.startsWith('app:') && !ALLOWED[owner].includes(target)) violations.push(`${file.path} imports @lib/${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('apps never import each other, and libs never import an app or reach into another lib', () => {
    const violations = files
      .filter((file) => /from '(\.\.\/)+(apps|libs)\//.test(file.text) || /from '[^']*apps\/(api|worker)\//.test(file.text))
      .map((file) => file.path);
    expect(violations).toEqual([]);
  });

  it('no @Global() module but the infrastructure (configuration, database, telemetry)', () => {
    const globals = files.filter((file) => /@Global\(\)/.test(file.text)).map((file) => file.path);
    expect(globals.sort()).toEqual([...GLOBAL_MODULES].sort());
  });

  it('no forwardRef: a cycle means a boundary is in the wrong place', () => {
    expect(files.filter((file) => file.text.includes('forwardRef(')).map((file) => file.path)).toEqual([]);
  });
});
