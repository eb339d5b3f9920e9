// The harness's restartable PostgreSQL (postgres-process.ts): the embedded server in a child
// process of its own, driven over stdin. A process of its own, because the embedded server is an
// ES module that Jest's sandbox cannot load, and because it hooks SIGINT/SIGTERM and exits when
// they arrive, which in the caller's process would cut its cleanup short. When the caller dies,
// stdin ends and the server is stopped.
// Arguments: <data dir> <port> [log]; with "log", the server's own log goes to stderr.
// Commands, one a line: "start", "stop", "exit". Answers, one a line: "started <url> <data dir>",
// "stopped", or "error <message>".
// Plain JS, run by node with scripts/register-paths.js, from the compiled tree.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
const { startEmbeddedPostgres } = require('../../dist/libs/database/src');

const [dataDir, port, log] = process.argv.slice(2);
let server;
let queue = Promise.resolve();

const run = async (command) => {
  if (command === 'start') {
    const onLog = log === 'log' ? (line) => process.stderr.write(line) : undefined;
    server = await startEmbeddedPostgres({ dataDir, port: Number(port), persistent: true, onLog });
    return `started ${server.serverUrl} ${server.dataDir}`;
  }
  if (command === 'stop') {
    await server?.stop();
    server = undefined;
    return 'stopped';
  }
  if (command === 'exit') {
    await server?.stop();
    process.exit(0);
  }
  return `error unknown command ${command}`;
};

const answer = (line) => process.stdout.write(`${line}\n`);
const refuse = (error) => answer(`error ${String(error && error.message ? error.message : error).replace(/\n/g, ' ')}`);

process.stdin.setEncoding('utf8');
let buffered = '';
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
    const command = buffered.slice(0, end).trim();
    buffered = buffered.slice(end + 1);
    // One command at a time, in order; answer never throws, so the queue never rejects.
    queue = queue.then(() => run(command)).then(answer, refuse);
  }
});
process.stdin.on('end', () => {
  queue = queue.then(() => run('exit')).then(answer, refuse);
});
