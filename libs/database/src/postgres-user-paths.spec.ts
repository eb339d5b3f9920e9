import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reachableByOthers } from './postgres-user-paths';

describe('reachableByOthers: can the postgres user pass through to a path', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'reach-'));
    chmodSync(base, 0o755);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('yes through directories that let others in, including parts not made yet', () => {
    mkdirSync(join(base, 'open'), { mode: 0o755 });
    expect(reachableByOthers(join(base, 'open', 'not-yet', 'data'))).toBe(true);
  });

  it('no below a directory only its owner may enter (a clone under /root, a mktemp -d)', () => {
    mkdirSync(join(base, 'private', 'repo', 'node_modules'), { recursive: true });
    chmodSync(join(base, 'private'), 0o700);
    expect(reachableByOthers(join(base, 'private', 'repo', 'node_modules'))).toBe(false);
    expect(reachableByOthers(join(base, 'private'))).toBe(false);
    // Search permission alone (o+x, no read) is enough to pass through.
    chmodSync(join(base, 'private'), 0o711);
    expect(reachableByOthers(join(base, 'private', 'repo', 'node_modules'))).toBe(true);
  });
});
