import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamConfig } from './gateway-config';
import type { GatewayLog } from './gateway-log';

/** The upstream could not be reached: the tool was certainly not called. */
export class UpstreamUnavailableError extends Error {}

/** The upstream lists no such tool. */
export class UnknownToolError extends Error {}

const LIST_TTL_MS = 30_000;

interface Connection {
  readonly client: Client;
  tools: { readonly at: number; readonly list: Tool[] } | null;
}

/**
 * The gateway's clients of its upstream MCP servers: one connection each, made when first
 * needed and made again after it closed (a stdio server that exited is started again). Tool lists
 * are kept for a short while; a call of a tool the upstream does not list is refused before it
 * is sent.
 */
export class UpstreamPool {
  private readonly connections = new Map<string, Promise<Connection>>();
  private closed = false;

  constructor(
    private readonly upstreams: readonly UpstreamConfig[],
    private readonly log: GatewayLog,
  ) {}

  names(): string[] {
    return this.upstreams.map((upstream) => upstream.name);
  }

  has(name: string): boolean {
    return this.upstreams.some((upstream) => upstream.name === name);
  }

  async listTools(name: string): Promise<Tool[]> {
    const connection = await this.connect(name);
    if (connection.tools && Date.now() - connection.tools.at < LIST_TTL_MS) return connection.tools.list;
    const list: Tool[] = [];
    let cursor: string | undefined;
    try {
      for (let page = 0; page < 100; page++) {
        const answer = await connection.client.listTools(cursor === undefined ? {} : { cursor });
        list.push(...answer.tools);
        cursor = answer.nextCursor;
        if (!cursor) break;
      }
    } catch (error) {
      this.forget(name);
      throw new UpstreamUnavailableError(`upstream ${name} did not list its tools: ${messageOf(error)}`);
    }
    connection.tools = { at: Date.now(), list };
    return list;
  }

  /** The tool as the upstream lists it; UnknownToolError when it lists none of that name. */
  async toolOrFail(name: string, tool: string): Promise<Tool> {
    const found = (await this.listTools(name)).find((item) => item.name === tool);
    if (!found) throw new UnknownToolError(`upstream ${name} has no tool ${tool}`);
    return found;
  }

  /** Calls the tool once. A failure to connect is UpstreamUnavailableError (not called); any other throw may have reached it. */
  async callTool(
    name: string,
    tool: string,
    args: Record<string, unknown>,
    options: { signal: AbortSignal; timeoutMs: number },
  ): Promise<CallToolResult> {
    const connection = await this.connect(name);
    const answer = await connection.client.callTool({ name: tool, arguments: args }, undefined, {
      signal: options.signal,
      timeout: options.timeoutMs,
      maxTotalTimeout: options.timeoutMs,
    });
    return answer as CallToolResult;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      all.map(async (pending) => {
        try {
          await (await pending).client.close();
        } catch {
          // closing what failed to open
        }
      }),
    );
  }

  private connect(name: string): Promise<Connection> {
    if (this.closed) return Promise.reject(new UpstreamUnavailableError('the gateway is shutting down'));
    const existing = this.connections.get(name);
    if (existing) return existing;
    const upstream = this.upstreams.find((item) => item.name === name);
    if (!upstream) return Promise.reject(new UnknownToolError(`no upstream ${name}`));
    const made: Promise<Connection> = this.open(upstream).then(
      (connection) => {
        // A connection that closes is made again at the next use; a late close of an old one leaves a newer one alone.
        connection.client.onclose = () => {
          this.log.info('upstream closed', { upstream: name });
          if (this.connections.get(name) === made) this.connections.delete(name);
        };
        return connection;
      },
      (error: unknown) => {
        if (this.connections.get(name) === made) this.connections.delete(name);
        throw new UpstreamUnavailableError(`upstream ${name} cannot be reached: ${messageOf(error)}`);
      },
    );
    this.connections.set(name, made);
    return made;
  }

  private async open(upstream: UpstreamConfig): Promise<Connection> {
    const client = new Client({ name: 'control-plane-mcp-gateway', version: '0.1.0' });
    client.onerror = (error) => this.log.warn('upstream error', { upstream: upstream.name, error: messageOf(error) });
    const transport =
      'url' in upstream
        ? new StreamableHTTPClientTransport(new URL(upstream.url))
        : new StdioClientTransport({
            command: upstream.command,
            args: [...upstream.args],
            // Only what the config names, beside the few variables a program needs: never the gateway's credentials.
            env: { ...getDefaultEnvironment(), ...upstream.env },
            cwd: upstream.cwd,
            stderr: 'inherit',
          });
    await client.connect(transport);
    this.log.info('upstream connected', { upstream: upstream.name });
    return { client, tools: null };
  }

  private forget(name: string): void {
    this.connections.delete(name);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
