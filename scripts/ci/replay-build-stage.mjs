// Replays one stage of a Dockerfile outside Docker, into a directory: its WORKDIR is that
// directory, each COPY copies from the build context what Docker would (the .dockerignore
// applied), each RUN runs there, in order. So a file the stage leaves out is missing here too.
// Usage: node scripts/ci/replay-build-stage.mjs <Dockerfile> <stage> <empty directory>
// Instructions that would make the replay differ from the image (ADD, ARG, USER, SHELL, COPY
// --from, a second WORKDIR) stop it with a message rather than be skipped.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';

const [dockerfile, stageName, target] = process.argv.slice(2);
if (!dockerfile || !stageName || !target) fail('usage: replay-build-stage.mjs <Dockerfile> <stage> <empty directory>');
const context = dirname(resolve(dockerfile));
const ignore = readDockerignore(join(context, '.dockerignore'));
const root = resolve(target);

/** Instructions that do not touch the stage's files or commands. */
const INERT = new Set(['EXPOSE', 'CMD', 'ENTRYPOINT', 'LABEL', 'HEALTHCHECK', 'STOPSIGNAL', 'ONBUILD']);

const instructions = stageOf(parse(readFileSync(dockerfile, 'utf8')), stageName);
const env = { ...process.env };
let workdir = null;
for (const { keyword, rest, line } of instructions) {
  if (keyword === 'WORKDIR') {
    if (workdir !== null) fail(`line ${line}: a second WORKDIR is not replayed`);
    if (!rest.startsWith('/')) fail(`line ${line}: WORKDIR must be absolute`);
    workdir = rest.trim();
    mkdirSync(root, { recursive: true });
  } else if (keyword === 'COPY') {
    copy(rest, line);
  } else if (keyword === 'RUN') {
    run(rest, line);
  } else if (keyword === 'ENV') {
    for (const [name, value] of envPairs(rest, line)) env[name] = value;
  } else if (!INERT.has(keyword)) {
    fail(`line ${line}: ${keyword} is not replayed; teach scripts/ci/replay-build-stage.mjs, or keep it out of the ${stageName} stage`);
  }
}

function copy(rest, line) {
  const words = rest.trim().startsWith('[') ? JSON.parse(rest) : rest.trim().split(/\s+/);
  while (words[0]?.startsWith('--')) {
    const flag = words.shift();
    if (!/^--(chown|chmod|link)(=|$)/.test(flag)) fail(`line ${line}: COPY ${flag} is not replayed`);
  }
  if (words.length < 2) fail(`line ${line}: COPY needs a source and a destination`);
  const destination = words.pop();
  const intoDirectory = words.length > 1 || destination.endsWith('/');
  const destinationPath = inStage(destination, line);
  let files = 0;
  for (const source of words) {
    if (/[*?[]/.test(source)) fail(`line ${line}: COPY with a wildcard (${source}) is not replayed`);
    const relative = posix.normalize(source).replace(/^(\.\/)+/, '');
    if (relative.startsWith('..') || relative.startsWith('/')) fail(`line ${line}: ${source} is outside the build context`);
    const from = join(context, relative);
    if (!existsSync(from) || ignored(relative))
      fail(`line ${line}: COPY ${source}: not in the build context (missing, or excluded by .dockerignore)`);
    if (lstatSync(from).isDirectory()) files += copyDirectory(relative, destinationPath);
    else files += copyFile(from, intoDirectory ? join(destinationPath, basename(relative)) : destinationPath);
  }
  console.log(`# COPY ${words.join(' ')} ${destination}: ${files} files`);
}

/** A directory's contents (not the directory itself), as Docker copies them. */
function copyDirectory(relative, to) {
  let files = 0;
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(join(context, relative), { withFileTypes: true })) {
    const child = relative === '.' ? entry.name : `${relative}/${entry.name}`;
    if (ignored(child)) continue;
    if (entry.isDirectory()) files += copyDirectory(child, join(to, entry.name));
    else files += copyFile(join(context, child), join(to, entry.name));
  }
  return files;
}

function copyFile(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  if (lstatSync(from).isSymbolicLink()) symlinkSync(readlinkSync(from), to);
  else copyFileSync(from, to);
  return 1;
}

function run(rest, line) {
  const exec = rest.trim().startsWith('[') ? JSON.parse(rest) : ['/bin/sh', '-c', rest.trim()];
  console.log(`# RUN ${rest.trim()}`);
  const result = spawnSync(exec[0], exec.slice(1), { cwd: inStage('.', line), env, stdio: 'inherit' });
  if (result.status !== 0) fail(`line ${line}: RUN exited with ${result.status ?? result.signal}`);
}

/** A path in the image (absolute, or relative to WORKDIR) as a path under the replay directory. */
function inStage(path, line) {
  if (workdir === null) fail(`line ${line}: no WORKDIR before it`);
  const inImage = posix.resolve(workdir, path);
  if (inImage !== workdir && !inImage.startsWith(`${workdir}/`)) fail(`line ${line}: ${path} lies outside WORKDIR ${workdir}`);
  return join(root, posix.relative(workdir, inImage));
}

function envPairs(rest, line) {
  const text = rest.trim();
  if (!text.includes('=')) {
    const [name, ...value] = text.split(/\s+/);
    return [[name, value.join(' ')]];
  }
  return text.split(/\s+/).map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0 || /["']/.test(pair)) fail(`line ${line}: ENV ${pair} is not replayed (quotes or no name)`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  });
}

/** The Dockerfile as instructions: comments dropped, continued lines joined. */
function parse(text) {
  const result = [];
  let pending = null;
  text.split('\n').forEach((raw, index) => {
    if (/^\s*#/.test(raw)) return;
    if (pending === null && raw.trim() === '') return;
    const continued = /\\\s*$/.test(raw);
    const body = continued ? raw.replace(/\\\s*$/, '') : raw;
    pending = pending === null ? { text: body, line: index + 1 } : { ...pending, text: `${pending.text} ${body.trim()}` };
    if (continued) return;
    const match = /^\s*(\S+)\s*(.*)$/.exec(pending.text);
    result.push({ keyword: match[1].toUpperCase(), rest: match[2], line: pending.line });
    pending = null;
  });
  return result;
}

/** The instructions of the stage `FROM … AS <name>`, up to the next FROM. */
function stageOf(all, name) {
  const start = all.findIndex((i) => i.keyword === 'FROM' && new RegExp(`\\s+as\\s+${name}\\s*$`, 'i').test(i.rest));
  if (start < 0) fail(`no stage "FROM … AS ${name}" in ${dockerfile}`);
  const end = all.findIndex((i, index) => index > start && i.keyword === 'FROM');
  return all.slice(start + 1, end < 0 ? undefined : end);
}

/** The .dockerignore rules, in order (a later `!pattern` takes a path back). */
function readDockerignore(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = posix.normalize((negated ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, '');
      return { negated, regex: globToRegExp(pattern) };
    });
}

/** Docker's matching: the pattern against the path from the context root; `**` spans directories. */
function globToRegExp(pattern) {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Whether the path (from the context root) or a directory above it is excluded. */
function ignored(relative) {
  const parts = relative.split('/');
  let excluded = false;
  for (let depth = 1; depth <= parts.length; depth++) {
    const prefix = parts.slice(0, depth).join('/');
    for (const rule of ignore) if (rule.regex.test(prefix)) excluded = !rule.negated;
  }
  return excluded;
}

function fail(message) {
  console.error(`replay-build-stage: ${message}`);
  process.exit(1);
}
