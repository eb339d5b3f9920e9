import { parseArgs } from 'node:util';
import { createControlPlaneClient, type Worker } from '@control-plane/client';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { GatewayConfigError, loadGatewayConfig } from './gateway-config';
import { stderrLog } from './gateway-log';
import { createGatewayServer } from './gateway-server';
import { startHttpGateway } from './http-gateway';
import { AgentSession, ToolCalls } from './tool-calls';
import { startToolExecutor } from './tool-executor';
import { messageOf, UpstreamPool } from './upstream-pool';

const USAGE = `npm run mcp -- --config <gateway.json> [--http <port>] [--host 127.0.0.1] [--no-executor]

Environment:
  CONTROL_PLANE_URL              the API (http://127.0.0.1:3000 by default)
  CONTROL_PLANE_CREDENTIAL       stdio: the agent's key (an agent principal with the requester role)
  MCP_GATEWAY_WORKER_CREDENTIAL  a worker key of the project: the gateway carries out approved calls
  MCP_GATEWAY_CONFIG             the config file, instead of --config`;

/**
 * The governing MCP gateway: an MCP server for agents (stdio, or Streamable HTTP with each
 * agent's bearer credential) in front of the upstream MCP servers its config names, whose every
 * tool call becomes a run of the control plane, and an executor that carries out the approved
 * ones (see tool-calls.ts and tool-executor.ts).
 */
async function main(): Promise<void> {
  const log = stderrLog((process.env.LOG_LEVEL as 'info' | 'warn' | 'error' | undefined) ?? 'info');
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      http: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'no-executor': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  const configPath = values.config ?? process.env.MCP_GATEWAY_CONFIG;
  if (!configPath) throw new GatewayConfigError(`name the gateway's config file\n\n${USAGE}`);
  const config = loadGatewayConfig(configPath);
  const baseUrl = (process.env.CONTROL_PLANE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  const port = values.http === undefined ? null : Number(values.http);
  if (port !== null && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new GatewayConfigError('--http must be a port 0..65535');
  const agentCredential = process.env.CONTROL_PLANE_CREDENTIAL;
  if (port === null && !agentCredential) throw new GatewayConfigError("stdio mode: set CONTROL_PLANE_CREDENTIAL to the agent's key");

  const upstreams = new UpstreamPool(config.upstreams, log);
  const calls = new ToolCalls(config, upstreams, log);
  let executor: Worker | null = null;
  const workerCredential = process.env.MCP_GATEWAY_WORKER_CREDENTIAL;
  if (!values['no-executor']) {
    if (workerCredential) executor = startToolExecutor({ config, upstreams, log, baseUrl, workerCredential });
    else log.warn('MCP_GATEWAY_WORKER_CREDENTIAL is not set: approved calls wait for a gateway that carries them out');
  }

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { why });
    try {
      await executor?.stop();
      await upstreams.close();
    } catch (error) {
      log.error('stopping failed', { error: messageOf(error) });
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  if (port !== null) {
    const server = await startHttpGateway({ config, upstreams, calls, log, baseUrl, host: values.host ?? '127.0.0.1', port });
    const address = server.address();
    log.info('gateway listening', { url: `http://${values.host}:${typeof address === 'object' && address ? address.port : port}/mcp` });
    return;
  }
  const agent = new AgentSession(
    createControlPlaneClient({ baseUrl, credential: agentCredential ?? '', retries: 1 }),
    agentCredential ?? '',
  );
  const server = createGatewayServer({ config, upstreams, calls, agent, log });
  const transport = new StdioServerTransport();
  // The agent closed its end: finish what runs, then leave.
  transport.onclose = () => void stop('the agent closed stdin');
  process.stdin.once('end', () => void stop('the agent closed stdin'));
  // A write to an agent that went away (EPIPE) must not end the process before stop() has run.
  process.stdout.on('error', () => void stop('the agent closed stdout'));
  await server.connect(transport);
  log.info('gateway ready on stdio', { project: config.project, upstreams: upstreams.names() });
}

process.on('unhandledRejection', (reason) => stderrLog('error').error('unhandled rejection', { error: messageOf(reason) }));
main().catch((error: unknown) => {
  process.stderr.write(`mcp gateway: ${messageOf(error)}\n`);
  process.exit(error instanceof GatewayConfigError ? 2 : 1);
});
