import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const REGISTER_PATHS = join('scripts', 'register-paths.js');

/**
 * The repository: the nearest folder above with scripts/register-paths.js. Found rather than
 * counted, because this file runs from tools/harness under Jest and from dist/tools/harness
 * once built.
 */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, REGISTER_PATHS))) return dir;
    if (dirname(dir) === dir) throw new Error(`no ${REGISTER_PATHS} above ${start}`);
  }
}

/** A command and its arguments, as spawn takes them. */
export interface Program {
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * A compiled script (a path from the repository root) run by this node, its @lib/* aliases
 * resolved in dist/ as `npm start` resolves them.
 */
export function nodeProgram(script: string, nodeFlags: readonly string[] = []): Program {
  return { command: process.execPath, args: [...nodeFlags, '-r', join(REPO_ROOT, REGISTER_PATHS), resolve(REPO_ROOT, script)] };
}

/** The V8 flags the API and the worker run with in production (`npm start`, `npm run worker`, the container). */
export const PRODUCTION_NODE_FLAGS: readonly string[] = ['--max-old-space-size=128'];

export const API_MAIN = 'dist/apps/api/src/main.js';
export const WORKER_MAIN = 'dist/apps/worker/src/main.js';

/** Fails with what to run when the product has not been built (the harness starts it from dist/). */
export function assertProductBuilt(hint: string): void {
  for (const file of [API_MAIN, WORKER_MAIN, 'dist/libs/database/src/index.js']) {
    const path = join(REPO_ROOT, file);
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` (${hint})`);
  }
}

/** Whether a command can be run here (`<command> --version` succeeds). */
export function commandAvailable(command: string): boolean {
  return spawnSync(command, ['--version']).status === 0;
}

/** What a compiled script run to its end said. */
export interface ScriptResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a compiled script (`dist/scripts/migrate.js`) to its end from the repository root, as its npm script does. */
export function runCompiledScript(input: { script: string; args?: readonly string[]; env: NodeJS.ProcessEnv }): ScriptResult {
  const program = nodeProgram(input.script);
  const result = spawnSync(program.command, [...program.args, ...(input.args ?? [])], { cwd: REPO_ROOT, env: input.env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
