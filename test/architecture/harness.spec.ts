import { sourceFiles } from './source-files';

/**
 * One process harness (tools/harness) starts the processes of the e2e suite, the benchmark and
 * the fault campaign: the PostgreSQL child, the API, the workers. Each of them once, so a fix to
 * how a process is started, awaited or killed reaches all three. The tools sit beside the
 * product: nothing the product ships imports them.
 */
const HARNESS = 'tools/harness/';
/** The architecture checks name what they look for. */
const CHECKS = 'test/architecture/';
const PRODUCT = ['apps', 'libs', 'migrations', 'scripts', 'clients', 'examples'];

const spawns = (text: string) => /from 'node:child_process'/.test(text) || /require\('node:child_process'\)/.test(text);
const importsTools = (text: string) => /from '(@tools\/|(\.\.\/)+tools\/)/.test(text);

describe('one process harness', () => {
  it('only the harness starts processes: tests, the bench and the fault campaign go through it', () => {
    const outside = [...sourceFiles('test', { withTests: true }), ...sourceFiles('tools'), ...sourceFiles('libs', { withTests: true })]
      .filter((file) => !file.path.startsWith(HARNESS) && !file.path.startsWith(CHECKS) && spawns(file.text))
      .map((file) => file.path);
    expect(outside).toEqual([]);
  });

  it('the product never imports the tools', () => {
    const offenders = PRODUCT.flatMap((folder) => sourceFiles(folder))
      .filter((file) => importsTools(file.text))
      .map((file) => file.path);
    expect(offenders).toEqual([]);
  });

  it('the checks see what they look for (a test that cannot fail is a defect)', () => {
    expect(spawns(`import { spawn } from 'node:child_process';`)).toBe(true);
    expect(importsTools(`import { WorkerProcess } from '@tools/harness';`)).toBe(true);
    expect(importsTools(`import { CleanupStack } from '../../tools/harness/cleanup-stack';`)).toBe(true);
    expect(importsTools(`import { freePort } from '@lib/database';`)).toBe(false);
  });
});
