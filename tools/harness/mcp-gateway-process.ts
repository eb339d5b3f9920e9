import { ManagedProcess, ProcessOutput } from './managed-process';
import { nodeProgram, Program } from './repo-root';

export const MCP_GATEWAY_MAIN = 'dist/apps/mcp-gateway/src/main.js';
/** The example upstream MCP server (examples/mcp): tools whose every call is written to RECORD_FILE. */
export const MCP_RECORDING_SERVER = 'dist/examples/mcp/recording-server.js';

const READY_TIMEOUT_MS = 30_000;

/** The governing MCP gateway as a program, as an MCP client starts it in stdio mode (`npm run mcp` without the build). */
export function mcpGatewayProgram(configFile: string, args: readonly string[] = []): Program {
  const program = nodeProgram(MCP_GATEWAY_MAIN);
  return { command: program.command, args: [...program.args, '--config', configFile, ...args] };
}

/** The example upstream, as a gateway config names it (`command` and `args`). */
export function recordingServerProgram(): Program {
  return nodeProgram(MCP_RECORDING_SERVER);
}

/** The gateway over Streamable HTTP in a child process, on a port of its own choosing (`--http 0`). */
export class McpGatewayHttpProcess extends ManagedProcess {
  constructor(input: {
    configFile: string;
    baseUrl: string;
    workerCredential?: string;
    env?: Readonly<Record<string, string>>;
    output?: ProcessOutput;
  }) {
    super({
      program: mcpGatewayProgram(input.configFile, ['--http', '0']),
      env: {
        CONTROL_PLANE_URL: input.baseUrl,
        ...(input.workerCredential ? { MCP_GATEWAY_WORKER_CREDENTIAL: input.workerCredential } : {}),
        CONTROL_PLANE_CREDENTIAL: undefined,
        ...input.env,
      },
      output: input.output,
      stopGraceMs: 8_000,
    });
  }

  /** The MCP endpoint, once it listens. */
  async url(timeoutMs = READY_TIMEOUT_MS): Promise<string> {
    await this.waitForOutput({ text: '"gateway listening"', what: 'the MCP gateway', timeoutMs });
    const match = /"url":"([^"]+)"/.exec(this.logged());
    if (!match) throw new Error(`the MCP gateway said no URL:\n${this.logged()}`);
    return match[1];
  }
}
