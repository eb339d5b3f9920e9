// A PostgreSQL server the tests can stop and start again: the embedded server (an ES module,
// which Jest's sandbox cannot load) run by a child process of its own, driven over stdin.
// Commands, one a line: "start", "stop", "exit". Answers, one a line: "started <url>", "stopped", or "error <message>".
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JS run by node, from the compiled tree
const { startEmbeddedPostgres } = require('../../dist/libs/database/src');

const [dataDir, port] = process.argv.slice(2);
let server;
let queue = Promise.resolve();

const run = async (command) => {
  if (command === 'start') {
    server = await startEmbeddedPostgres({ dataDir, port: Number(port), persistent: true });
    return `started ${server.serverUrl}`;
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

process.stdin.setEncoding('utf8');
let buffered = '';
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let end;
  while ((end = buffered.indexOf('\n')) >= 0) {
    const command = buffered.slice(0, end).trim();
    buffered = buffered.slice(end + 1);
    queue = queue
      .then(() => run(command))
      .then(
        (answer) => process.stdout.write(`${answer}\n`),
        (error) => process.stdout.write(`error ${String(error && error.message).replace(/\n/g, ' ')}\n`),
      );
  }
});
process.stdin.on('end', () => void run('exit'));
