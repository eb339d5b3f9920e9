import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Plain JavaScript run by CI's `scripts/readme/run.sh` before TypeScript is involved.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { commandBlocks, walkScript } = require('../../scripts/readme/extract.js') as {
  commandBlocks(
    markdown: string,
    file: string,
  ): { line: number; text: string; run: { kind: string; readyUrl?: string; reason?: string } }[];
  walkScript(blocks: unknown[], file: string, logDir: string): string;
};

const root = join(__dirname, '..', '..');
const fence = '```';

/** Runs the walk script made from `markdown` and answers its output (throws when it fails). */
function walk(markdown: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'readme-blocks-'));
  writeFileSync(join(dir, 'walk.sh'), walkScript(commandBlocks(markdown, 'DOC.md'), 'DOC.md', dir));
  return execFileSync('bash', [join(dir, 'walk.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the README is run as written (scripts/readme/extract.js)', () => {
  it('reads every command block of the README, in order, the service started in the background', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = commandBlocks(readme, 'README.md');
    const fences = readme.split('\n').filter((line) => line.startsWith(`${fence}sh`)).length;
    expect(blocks).toHaveLength(fences);
    expect(blocks.map((block) => block.text.split('\n')[0])).toEqual(
      expect.arrayContaining(['npm install', 'npm start', 'BOOTSTRAP_ADMIN_KEY=change-me-admin-key-0001 npm start']),
    );
    expect(blocks.filter((block) => block.run.kind === 'background').map((block) => block.run.readyUrl)).toEqual([
      'http://localhost:3000/health/ready',
      'http://localhost:3000/health/ready',
    ]);
    // Only `npm test` is left to CI's own step; every other block runs.
    expect(blocks.filter((block) => block.run.kind === 'skip').map((block) => block.text)).toEqual(['npm test']);
  });

  it('runs the blocks in one shell: a variable or function of one block is there in the next', () => {
    const output = walk(`${fence}sh\nGREETING=hello\nsay() { echo "$1 $GREETING"; }\n${fence}\n\ntext\n\n${fence}sh\nsay well\n${fence}\n`);
    expect(output).toContain('\nwell hello\n');
    expect(output).toContain('all 2 blocks of DOC.md done');
  });

  it('a block that fails stops the walk there, naming where it stands', () => {
    let failure: { status: number; stdout: string } | undefined;
    try {
      walk(`${fence}sh\necho first\n${fence}\n\n${fence}sh\nfalse\necho never\n${fence}\n\n${fence}sh\necho third\n${fence}\n`);
    } catch (error) {
      failure = error as { status: number; stdout: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stdout).toContain('DOC.md:5 (block 2 of 3)');
    expect(failure?.stdout).not.toContain('\nnever\n');
    expect(failure?.stdout).not.toContain('\nthird\n');
  });

  it('a background block runs beside the next ones and is stopped at the end', () => {
    const dir = mkdtempSync(join(tmpdir(), 'readme-bg-'));
    const marker = join(dir, 'ready');
    const output = walk(
      [
        `<!-- readme-run: background, ready when file://${marker} answers -->`,
        `${fence}sh`,
        `touch ${marker}; trap 'echo stopped > ${join(dir, 'stopped')}; exit 0' TERM; while true; do sleep 0.1; done`,
        fence,
        '',
        `${fence}sh`,
        'echo after',
        fence,
      ].join('\n'),
    );
    expect(output).toContain('\nafter\n');
    expect(readFileSync(join(dir, 'stopped'), 'utf8').trim()).toBe('stopped');
  });

  it('refuses what it would silently leave out: another shell fence, an unknown directive, a stray one', () => {
    expect(() => commandBlocks(`${fence}bash\nls\n${fence}\n`, 'DOC.md')).toThrow(
      'DOC.md:1: a command block is fenced as ```sh (found ```bash)',
    );
    expect(() => commandBlocks(`<!-- readme-run: sometimes -->\n${fence}sh\nls\n${fence}\n`, 'DOC.md')).toThrow(
      'DOC.md:1: unknown readme-run comment "sometimes"',
    );
    expect(() => commandBlocks(`<!-- readme-run: skip (later) -->\nsome text\n${fence}sh\nls\n${fence}\n`, 'DOC.md')).toThrow(
      'DOC.md:2: a readme-run comment must stand just before a block',
    );
    expect(() =>
      walkScript(
        commandBlocks(
          `<!-- readme-run: background, after stopping the one above, ready when x answers -->\n${fence}sh\nls\n${fence}\n`,
          'DOC.md',
        ),
        'DOC.md',
        '/tmp',
      ),
    ).toThrow('no background block stands above');
  });
});
