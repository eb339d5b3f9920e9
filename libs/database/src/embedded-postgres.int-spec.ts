import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';
import { PostgresProcess } from '@tools/harness';

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * As root, the embedded server runs as the postgres user, which cannot enter a directory only
 * root may enter. Asked to keep its data below one (a clone under /root, a `mktemp -d`), it
 * starts anyway, with its data where that user can reach it. (The binaries' half of the same
 * problem is proven by CI, which runs `npm start` from a clone in a `mktemp -d`.)
 */
(asRoot ? describe : describe.skip)('the embedded server started by root from a private directory', () => {
  let privateDir: string;
  let server: PostgresProcess | undefined;
  let movedTo: string | undefined;

  beforeAll(() => {
    privateDir = mkdtempSync(join(tmpdir(), 'control-plane-private-'));
  });
  afterAll(async () => {
    await server?.exit();
    rmSync(privateDir, { recursive: true, force: true });
    // The data directory it chose instead is kept between starts; this test's is not.
    if (movedTo) rmSync(dirname(movedTo), { recursive: true, force: true });
  });

  it('starts and answers queries, though its data directory was asked for below a 0700 directory', async () => {
    server = new PostgresProcess({ dataDir: join(privateDir, 'repo', '.data', 'postgres'), port: await freePort() });
    const url = await server.start();
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT current_setting('data_directory') AS dir`);
      movedTo = rows[0].dir as string;
      expect(movedTo.startsWith(privateDir)).toBe(false);
      expect(movedTo).toMatch(/control-plane-[0-9a-f]{12}\/postgres$/);
    } finally {
      await client.end();
    }
  });
});
