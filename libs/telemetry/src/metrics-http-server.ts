import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** What the server reports; the caller logs it (no logger of its own). */
export interface MetricsServerEvents {
  readonly onError: (error: unknown) => void;
}

/** What it serves: a process's registry, and that the process is up (for a container's healthcheck). */
const METRICS_PATH = '/metrics';
const LIVE_PATH = '/health/live';

/**
 * A small HTTP server that answers GET /metrics with a process's registry and GET /health/live
 * with 200 while the process runs (a worker, which has no HTTP server of its own). Nothing it
 * meets stops the process: a listener error, a failed render or a broken connection is reported
 * through onError and answered 500 where it can be.
 */
export class MetricsHttpServer {
  private server: Server | undefined;

  constructor(
    private readonly source: { render(): Promise<string>; readonly contentType: string },
    private readonly events: MetricsServerEvents,
  ) {}

  /** Listens on `port` (0: a free one); resolves with the port it got, or null when it could not listen. */
  listen(input: { port: number; host?: string }): Promise<number | null> {
    const server = createServer((request, response) => {
      this.answer(request, response).catch((error: unknown) => {
        this.events.onError(error);
        response.destroy();
      });
    });
    this.server = server;
    server.on('clientError', (error, socket) => {
      this.events.onError(error);
      socket.destroy();
    });
    return new Promise((resolve) => {
      const failed = (error: unknown) => {
        this.events.onError(error);
        this.server = undefined;
        resolve(null);
      };
      server.once('error', failed);
      server.listen(input.port, input.host, () => {
        server.off('error', failed);
        server.on('error', (error) => this.events.onError(error));
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.on('error', (error) => this.events.onError(error));
    const path = (request.url ?? '').split('?')[0];
    const known = path === METRICS_PATH || path === LIVE_PATH;
    if (!known || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(known ? 405 : 404, { 'content-type': 'text/plain' }).end(known ? 'method not allowed\n' : 'not found\n');
      return;
    }
    if (path === LIVE_PATH) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(request.method === 'HEAD' ? undefined : '{"status":"ok"}');
      return;
    }
    try {
      const body = await this.source.render();
      response.writeHead(200, { 'content-type': this.source.contentType });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.events.onError(error);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('metrics unavailable\n');
    }
  }
}
