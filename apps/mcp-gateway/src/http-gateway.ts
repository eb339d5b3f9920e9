import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createControlPlaneClient } from '@control-plane/client';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayConfig } from './gateway-config';
import type { GatewayLog } from './gateway-log';
import { createGatewayServer } from './gateway-server';
import { AgentSession, ControlPlaneRefusal, ToolCalls } from './tool-calls';
import { messageOf, UpstreamPool } from './upstream-pool';

const MCP_PATH = '/mcp';
const MAX_SESSIONS = 1000;
/** One agent's sessions at most (over all its keys): its oldest is closed for a new one, so no agent can take every session. */
const MAX_SESSIONS_PER_AGENT = 16;
const SESSION_IDLE_MS = 30 * 60_000;

interface Session {
  readonly transport: StreamableHTTPServerTransport;
  /** sha256 of the bearer token that opened it: every request of the session carries the same one. */
  readonly credentialHash: string;
  /** The agent's principal (its sessions are counted together, whichever key opened them). */
  readonly principalId: string;
  lastSeen: number;
}

/**
 * The gateway over Streamable HTTP: each agent sends its own control-plane credential as a
 * bearer token, checked when it opens a session (initialize), and every later request of that
 * session must carry the same one; the runs it makes are that agent's. One MCP session per
 * agent connection, dropped after 30 minutes without a request.
 */
export function startHttpGateway(input: {
  config: GatewayConfig;
  upstreams: UpstreamPool;
  calls: ToolCalls;
  log: GatewayLog;
  baseUrl: string;
  host: string;
  port: number;
}): Promise<HttpServer> {
  const { config, upstreams, calls, log } = input;
  const sessions = new Map<string, Session>();
  /** Initializes past the count whose credential is still being checked. */
  let opening = 0;
  const maxBody = config.maxArgumentBytes + 65_536;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://gateway');
    if (url.pathname !== MCP_PATH) return reply(response, 404, { error: 'not_found', message: `the MCP endpoint is ${MCP_PATH}` });
    const token = bearerOf(request);
    if (!token) {
      response.setHeader('www-authenticate', 'Bearer');
      return reply(response, 401, { error: 'unauthenticated', message: "send the agent's control-plane credential as a bearer token" });
    }
    const credentialHash = createHash('sha256').update(token).digest('hex');
    let body: unknown;
    if (request.method === 'POST') {
      const read = await readJson(request, maxBody);
      if ('error' in read) return reply(response, read.status, { jsonrpc: '2.0', error: { code: -32700, message: read.error }, id: null });
      body = read.value;
    }
    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      // Another credential's session answers as one that does not exist.
      if (!session || session.credentialHash !== credentialHash) {
        return reply(response, 404, { jsonrpc: '2.0', error: { code: -32001, message: 'no such session' }, id: null });
      }
      session.lastSeen = Date.now();
      return session.transport.handleRequest(request, response, body);
    }
    if (request.method !== 'POST' || !isInitializeRequest(body)) {
      return reply(response, 400, {
        jsonrpc: '2.0',
        error: { code: -32600, message: 'open a session with an initialize request first' },
        id: null,
      });
    }
    // A slot is held from here (before any await), so racing initializes cannot all pass the count.
    if (sessions.size + opening >= MAX_SESSIONS) return reply(response, 503, { error: 'too_many_sessions', message: 'try again later' });
    opening++;
    let principalId: string;
    const agent = new AgentSession(createControlPlaneClient({ baseUrl: input.baseUrl, credential: token, retries: 1 }), token);
    try {
      principalId = await agent.principalId();
    } catch (error) {
      if (error instanceof ControlPlaneRefusal && error.code === 'not_an_agent')
        return reply(response, 403, { error: 'not_an_agent', message: error.message });
      if (error instanceof ControlPlaneRefusal && (error.status === 401 || error.status === 403)) {
        return reply(response, 401, { error: 'unauthenticated', message: `the control plane refused this credential (${error.code})` });
      }
      log.warn('control plane unreachable at session start', { error: messageOf(error) });
      return reply(response, 503, { error: 'unavailable', message: 'the control plane cannot be reached; try again' });
    } finally {
      opening--;
    }
    // One agent (whichever of its keys it uses) holds a bounded number of sessions: its oldest makes room.
    const own = [...sessions.entries()].filter(([, session]) => session.principalId === principalId);
    for (const [id, session] of own
      .sort((a, b) => a[1].lastSeen - b[1].lastSeen)
      .slice(0, Math.max(0, own.length - MAX_SESSIONS_PER_AGENT + 1))) {
      sessions.delete(id);
      session.transport.close().catch((error: unknown) => log.warn('closing an agent’s oldest session', { error: messageOf(error) }));
    }
    const id = randomUUID();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id });
    // Recorded before the first await, so the count above sees it at once.
    sessions.set(id, { transport, credentialHash, principalId, lastSeen: Date.now() });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    const server = createGatewayServer({ config, upstreams, calls, agent, log });
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  }

  const httpServer = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error('http request failed', { error: messageOf(error) });
      if (!response.headersSent) reply(response, 500, { jsonrpc: '2.0', error: { code: -32603, message: 'internal error' }, id: null });
      else response.destroy();
    });
  });
  httpServer.on('clientError', (_error, socket) => socket.destroy());
  const sweep = setInterval(() => {
    const idleSince = Date.now() - SESSION_IDLE_MS;
    for (const [id, session] of sessions) {
      if (session.lastSeen >= idleSince) continue;
      sessions.delete(id);
      session.transport.close().catch((error: unknown) => log.warn('closing an idle session', { error: messageOf(error) }));
    }
  }, 60_000);
  sweep.unref();
  httpServer.on('close', () => clearInterval(sweep));
  return new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(input.port, input.host, () => {
      httpServer.off('error', reject);
      // After it listens, a server error is logged, never left to end the process.
      httpServer.on('error', (error) => log.error('http server error', { error: messageOf(error) }));
      resolve(httpServer);
    });
  });
}

function bearerOf(request: IncomingMessage): string | null {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(header) : null;
  return match ? match[1] : null;
}

function readJson(request: IncomingMessage, maxBytes: number): Promise<{ value: unknown } | { status: number; error: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: { value: unknown } | { status: number; error: string }) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish({ status: 413, error: `the request is larger than ${maxBytes} bytes` });
        request.resume();
        return;
      }
      if (!done) chunks.push(chunk);
    });
    request.on('error', () => finish({ status: 400, error: 'the request could not be read' }));
    request.on('end', () => {
      try {
        finish({ value: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      } catch {
        finish({ status: 400, error: 'the request is not JSON' });
      }
    });
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
