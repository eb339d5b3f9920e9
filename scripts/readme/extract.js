'use strict';
/**
 * Turns the command blocks of a Markdown file (```sh fences) into one bash script that runs them
 * in order, in one shell, exactly as written: variables and functions carry from one block to the
 * next as they would in a reader's terminal. A comment just before a block may say how to run it:
 *
 *   <!-- readme-run: background, ready when <url> answers -->  its own terminal: started in the
 *        background (its own process group, stopped at the end), the next block waits for <url>
 *   <!-- readme-run: background, after stopping the one above, ready when <url> answers -->
 *        the same, once the previous background block has been stopped (the reader's Ctrl-C)
 *   <!-- readme-run: skip (<why>) -->                           not run here; the reason is printed
 *
 * Any other `readme-run` comment, or a shell block in another fence language, is an error, so
 * the file cannot hold a block this script silently leaves out.
 */
const { readFileSync } = require('node:fs');

const FENCE = /^```(\S*)\s*$/;
const DIRECTIVE = /^<!--\s*readme-run:\s*(.*?)\s*-->$/;
const BACKGROUND = /^background, (after stopping the one above, )?ready when (\S+) answers$/;
const SKIP = /^skip \((.+)\)$/;
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);

/** The blocks of `markdown`, each with its line, language, text and directive. */
function commandBlocks(markdown, file) {
  const lines = markdown.split('\n');
  const blocks = [];
  let pending = null;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index].trim();
    const directive = DIRECTIVE.exec(line);
    if (directive) {
      pending = parseDirective(directive[1], `${file}:${index + 1}`);
      continue;
    }
    const fence = FENCE.exec(lines[index]);
    if (!fence) {
      if (line !== '' && pending) throw new Error(`${file}:${index + 1}: a readme-run comment must stand just before a block`);
      continue;
    }
    const start = index + 1;
    const body = [];
    for (index += 1; index < lines.length && !/^```\s*$/.test(lines[index]); index += 1) body.push(lines[index]);
    if (index >= lines.length) throw new Error(`${file}:${start}: a block that never closes`);
    const language = fence[1];
    if (SHELL_LANGUAGES.has(language) && language !== 'sh') {
      throw new Error(`${file}:${start}: a command block is fenced as \`\`\`sh (found \`\`\`${language})`);
    }
    if (language === 'sh') blocks.push({ line: start, text: body.join('\n'), run: pending ?? { kind: 'inline' } });
    else if (pending) throw new Error(`${file}:${start}: a readme-run comment before a ${language || 'plain'} block`);
    pending = null;
  }
  return blocks;
}

function parseDirective(text, where) {
  const background = BACKGROUND.exec(text);
  if (background) return { kind: 'background', replaces: Boolean(background[1]), readyUrl: background[2] };
  const skip = SKIP.exec(text);
  if (skip) return { kind: 'skip', reason: skip[1] };
  throw new Error(`${where}: unknown readme-run comment "${text}"`);
}

const quote = (text) => `'${text.replace(/'/g, `'\\''`)}'`;

/** One bash script running `blocks` of `file`; `logDir` keeps the background blocks' output. */
function walkScript(blocks, file, logDir) {
  const out = [
    'set -euo pipefail',
    'background=()',
    'stop_background() {',
    '  for pid in "${background[@]}"; do kill -TERM -- "-$pid" 2> /dev/null || true; done',
    '  for pid in "${background[@]}"; do wait "$pid" 2> /dev/null || true; done',
    '}',
    'stop_last() {',
    '  local pid=${background[-1]}',
    '  kill -TERM -- "-$pid" 2> /dev/null || true',
    '  wait "$pid" 2> /dev/null || true',
    '  unset "background[-1]"',
    '}',
    'trap stop_background EXIT',
    'wait_ready() {',
    '  local url=$1 pid=$2 log=$3 deadline=$((SECONDS + 600))',
    '  until curl -sf -o /dev/null "$url"; do',
    '    if ! kill -0 "$pid" 2> /dev/null; then echo "the background block ended before $url answered:" >&2; tail -n 40 "$log" >&2; return 1; fi',
    '    if ((SECONDS > deadline)); then echo "$url did not answer within 600 s:" >&2; tail -n 40 "$log" >&2; return 1; fi',
    '    sleep 1',
    '  done',
    '}',
  ];
  blocks.forEach((block, index) => {
    const where = `${file}:${block.line}`;
    out.push('', `printf '\\n--- %s (block %d of %d)\\n' ${quote(where)} ${index + 1} ${blocks.length}`);
    if (block.run.kind === 'skip') {
      out.push(`printf 'not run here: %s\\n' ${quote(block.run.reason)}`);
      return;
    }
    out.push(`printf '%s\\n' ${quote(block.text.replace(/^/gm, '$ '))}`);
    if (block.run.kind === 'inline') {
      out.push(block.text);
      return;
    }
    const log = `${logDir}/block-${block.line}.log`;
    if (block.run.replaces) {
      if (!blocks.slice(0, index).some((earlier) => earlier.run.kind === 'background')) {
        throw new Error(`${where}: "after stopping the one above", but no background block stands above`);
      }
      out.push('stop_last');
    }
    out.push(
      'set -m',
      `( ${block.text}\n) > ${quote(log)} 2>&1 &`,
      'set +m',
      'background+=("$!")',
      `wait_ready ${quote(block.run.readyUrl)} "$!" ${quote(log)}`,
      `printf '(running in the background; its output is in %s)\\n' ${quote(log)}`,
    );
  });
  out.push('', `printf '\\nall %d blocks of %s done\\n' ${blocks.length} ${quote(file)}`);
  return `${out.join('\n')}\n`;
}

module.exports = { commandBlocks, walkScript };

if (require.main === module) {
  const [file, logDir] = process.argv.slice(2);
  if (!file || !logDir) {
    process.stderr.write('usage: node scripts/readme/extract.js <markdown file> <log directory>\n');
    process.exit(2);
  }
  try {
    process.stdout.write(walkScript(commandBlocks(readFileSync(file, 'utf8'), file), file, logDir));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
