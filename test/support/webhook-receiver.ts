import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

export interface ReceivedWebhook {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read any field
  readonly json: any;
  readonly at: number;
}

/** What the receiver does with a request: answer a status, answer late, or drop the connection. */
export type ReceiverBehaviour = (request: ReceivedWebhook) => { status: number; delayMs?: number } | 'drop' | 'hang';

/**
 * A real HTTP receiver on loopback, as a subscriber would run one: records every request it
 * read in full (dropped ones too), and answers as told. It can be stopped and started again on
 * the same port (a receiver that was killed and came back).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  behaviour: ReceiverBehaviour = () => ({ status: 204 });
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  async start(): Promise<this> {
    const server = createServer((request, response) => this.handle(request, response));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Kills it: open connections are cut, nothing listens on the port until `start`. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Resolves when `predicate` holds for what was received. */
  async waitFor(predicate: (received: readonly ReceivedWebhook[]) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.received.map((r) => r.json?.type))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', () => undefined);
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      const received: ReceivedWebhook = { headers: request.headers, body, json, at: Date.now() };
      this.received.push(received);
      const answer = this.behaviour(received);
      if (answer === 'drop') {
        request.socket.destroy();
        return;
      }
      if (answer === 'hang') return;
      const send = () => {
        if (!response.destroyed) response.writeHead(answer.status, { 'content-type': 'text/plain' }).end('ok');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  }
}
