import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayConfig } from './gateway-config';
import type { GatewayLog } from './gateway-log';
import { refused } from './tool-answers';
import { AgentSession, ToolCalls } from './tool-calls';
import { exposedName, mayBeCalled, ruleFor } from './tool-rules';
import { messageOf, UpstreamPool } from './upstream-pool';

export const STATUS_TOOL = 'get_approval_status';
export const PROMPT_TOOL = 'approval_prompt';

const STATUS_TOOL_DEFINITION = (maxWait: number): Tool => ({
  name: STATUS_TOOL,
  description: `Ask again about a governed tool call that answered pending_approval or running (by its run_id): its status now, or its result once it ran. wait_seconds (0..${maxWait}) waits for a change first.`,
  inputSchema: {
    type: 'object',
    properties: {
      run_id: { type: 'string', description: 'The run_id a governed call answered with' },
      wait_seconds: {
        type: 'integer',
        minimum: 0,
        maximum: maxWait,
        description: 'Wait this long for the status to change (0: answer now)',
      },
    },
    required: ['run_id'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, idempotentHint: true },
});

const PROMPT_TOOL_DEFINITION: Tool = {
  name: PROMPT_TOOL,
  description:
    'Permission prompt for coding agents ("ask before using a tool"): asks the team\'s approvers whether tool_name may run with input. Answers {"behavior":"allow","updatedInput":…} with the input as approved, or {"behavior":"deny","message":…}.',
  inputSchema: {
    type: 'object',
    properties: {
      tool_name: { type: 'string', description: 'The tool the agent wants to use' },
      input: { type: 'object', description: 'Its input' },
      tool_use_id: { type: 'string', description: "The agent's id of this use (not part of what is approved)" },
    },
    required: ['tool_name', 'input'],
  },
};

/**
 * The MCP server an agent talks to, for one agent session: it lists the upstream tools some
 * call of which the rules could allow (each as `<upstream>__<tool>`, described as governed), the
 * status tool and, when configured, the permission prompt; and answers each call through the
 * control plane with the session's credential. A handler never throws to the SDK: every failure
 * is a structured answer.
 */
export function createGatewayServer(input: {
  config: GatewayConfig;
  upstreams: UpstreamPool;
  calls: ToolCalls;
  agent: AgentSession;
  log: GatewayLog;
}): Server {
  const { config, upstreams, calls, agent, log } = input;
  const server = new Server({ name: 'control-plane-mcp-gateway', version: '0.1.0' }, { capabilities: { tools: {} } });
  server.onerror = (error) => log.warn('agent session error', { error: messageOf(error) });

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const tools: Tool[] = [];
    for (const upstream of upstreams.names()) {
      try {
        for (const tool of await upstreams.listTools(upstream)) {
          const name = exposedName(upstream, tool.name);
          if (!mayBeCalled(config, name)) continue;
          const ruling = ruleFor(config, name, {});
          tools.push({
            ...tool,
            name,
            description:
              `${tool.description ?? ''}\n\n[Governed by the control plane${ruling.kind === 'run' ? ` as ${ruling.action}` : ''}: a call may need approval; it then answers pending_approval with a run_id for ${STATUS_TOOL}.]`.trim(),
          });
        }
      } catch (error) {
        log.warn('upstream not listed', { upstream, error: messageOf(error) });
      }
    }
    tools.push(STATUS_TOOL_DEFINITION(config.maxWaitSeconds));
    if (config.permissionPrompt) tools.push(PROMPT_TOOL_DEFINITION);
    return { tools };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const { name, arguments: args, _meta: meta } = request.params;
    try {
      if (name === STATUS_TOOL) return await calls.status(agent, args?.run_id, args?.wait_seconds);
      if (name === PROMPT_TOOL && config.permissionPrompt) return await calls.prompt(agent, args?.tool_name, args?.input);
      return await calls.call(agent, name, args, meta);
    } catch (error) {
      log.error('tool call failed in the gateway', { tool: name, error: messageOf(error) });
      return refused('gateway_error', 'the gateway could not answer this call; the same call again finds the run it made, if it made one');
    }
  });
  return server;
}
