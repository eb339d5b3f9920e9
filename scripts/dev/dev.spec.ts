import { PassThrough } from 'node:stream';
import { loadConfig } from '@lib/config';
import { devEnvironment } from './dev-environment';
import { prettyLog } from './pretty-log';

describe('the development loop (npm run start:dev)', () => {
  const url = 'postgres://postgres:postgres@127.0.0.1:54329/control_plane';

  it('hands the watched API the database it resolved, with the worker in-process where npm start runs it there', () => {
    const embedded = devEnvironment({ PORT: '3001' }, { config: loadConfig({}), databaseUrl: url, embedded: true });
    expect(embedded).toMatchObject({ PORT: '3001', DATABASE_URL: url, WORKER_IN_PROCESS: 'true' });
    // The aliases resolved as npm start resolves them, whatever the compiler emitted; a caller's own options kept.
    expect(embedded.NODE_OPTIONS).toBe('--require ./scripts/register-paths.js');
    const own = devEnvironment({ NODE_OPTIONS: '--trace-warnings' }, { config: loadConfig({}), databaseUrl: url, embedded: true });
    expect(own.NODE_OPTIONS).toBe('--trace-warnings --require ./scripts/register-paths.js');
    const external = devEnvironment(
      { DATABASE_URL: url },
      { config: loadConfig({ DATABASE_URL: url }), databaseUrl: url, embedded: false },
    );
    expect(external).toMatchObject({ DATABASE_URL: url, WORKER_IN_PROCESS: 'false' });
    const asked = devEnvironment(
      { WORKER_IN_PROCESS: 'false' },
      { config: loadConfig({ WORKER_IN_PROCESS: 'false' }), databaseUrl: url, embedded: true },
    );
    expect(asked.WORKER_IN_PROCESS).toBe('false');
  });

  it("prints pino's JSON lines for a person and the compiler's lines as they are", async () => {
    const destination = new PassThrough();
    let printed = '';
    destination.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const log = prettyLog({ destination, colorize: false });
    log.write(
      `${JSON.stringify({ level: 30, time: 0, pid: 1, hostname: 'h', name: 'control-plane', msg: 'API listening', port: 3000 })}\n`,
    );
    log.write('Found 0 errors. Watching for file changes.\n');
    await new Promise<void>((resolve) => log.end(resolve));
    expect(printed).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(control-plane\): API listening\n {4}port: 3000\n/);
    expect(printed).toContain('Found 0 errors. Watching for file changes.\n');
    expect(printed).not.toContain('"level"');
  });
});
