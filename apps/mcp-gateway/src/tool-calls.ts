import { createHmac } from 'node:crypto';
import { canonicalJson } from '@lib/common';
import { createRunAsGiven, getCurrentPrincipal, getRun, getRunByKey, listRunEvents, type ControlPlaneClient } from '@control-plane/client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayConfig } from './gateway-config';
import type { GatewayLog } from './gateway-log';
import { answer, answerForRun, consoleLink, denied, FINAL_STATUSES, refused, unavailable, type Run } from './tool-answers';
import { refuseArguments, ruleFor, splitExposed } from './tool-rules';
import { messageOf, UnknownToolError, UpstreamPool, UpstreamUnavailableError } from './upstream-pool';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOOL_NAME = /^[^\p{Cc}]{1,255}$/u;
/** One answer for a run that does not exist and one that is not this agent's: ids reveal nothing. */
const NO_SUCH_RUN = 'no such run among this agent’s calls';
/** `_meta` key a client may set to name its own idempotency key (a second, deliberate call of the same tool with the same arguments). */
export const IDEMPOTENCY_META = 'control-plane/idempotency_key';

/**
 * An agent as the gateway serves it: the control plane client with its credential, and who it is
 * (asked once). Only a principal of kind agent is served: an agent never decides a run, which is
 * what lets its calls wait for people.
 */
export class AgentSession {
  private principal: Promise<string> | null = null;

  constructor(
    readonly client: ControlPlaneClient,
    /** The agent's credential, which keys its idempotency keys (another agent cannot compute, nor plant, them). */
    private readonly credential: string,
  ) {}

  /** The agent's principal id; a refusal of its credential, or a principal that is not an agent, is thrown as a ControlPlaneRefusal. */
  principalId(): Promise<string> {
    this.principal ??= (async () => {
      const { data, error, response } = await getCurrentPrincipal(this.client, {});
      if (!data) throw new ControlPlaneRefusal(response.status, codeOf(error), messageOf(error));
      if (data.kind !== 'agent') {
        throw new ControlPlaneRefusal(403, 'not_an_agent', `the gateway serves agents: this credential's principal is a ${data.kind}`);
      }
      return data.id;
    })().catch((error: unknown) => {
      this.principal = null;
      throw error;
    });
    return this.principal;
  }

  /** An idempotency key of this agent's: an HMAC under its credential, so nobody else's request can take it first. */
  keyOf(payload: unknown): string {
    return `mcp:${createHmac('sha256', this.credential).update(canonicalJson(payload)).digest('hex')}`;
  }
}

export class ControlPlaneRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The agent's side of the gateway: a tool call becomes a run (or is denied, or refused before
 * anything is made), answered at once; status asks again, waiting a bounded time; the
 * permission prompt asks the approvers whether a coding agent may use one of its own tools.
 * Every answer is structured (see tool-answers.ts); the call never waits past the config's
 * bounds, which stay under MCP clients' request timeouts.
 */
export class ToolCalls {
  constructor(
    private readonly config: GatewayConfig,
    private readonly upstreams: UpstreamPool,
    private readonly log: GatewayLog,
  ) {}

  async call(agent: AgentSession, name: string, args: unknown, meta: Record<string, unknown> | undefined): Promise<CallToolResult> {
    const split = splitExposed(name);
    if (!split || !this.upstreams.has(split.upstream))
      return refused('unknown_tool', `no tool ${JSON.stringify(name)} behind this gateway`);
    const bad = refuseArguments(args ?? {}, this.config.maxArgumentBytes);
    if (bad) return refused(bad.code, bad.message, bad.path ? { path: bad.path } : {});
    const argumentsOf = (args ?? {}) as Record<string, unknown>;
    const ruling = ruleFor(this.config, name, argumentsOf);
    try {
      await this.upstreams.toolOrFail(split.upstream, split.tool);
    } catch (error) {
      if (error instanceof UnknownToolError) return refused('unknown_tool', `no tool ${JSON.stringify(name)} behind this gateway`);
      // A denied call needs no upstream to be refused.
      if (error instanceof UpstreamUnavailableError && ruling.kind === 'run') return unavailable(error.message);
      if (!(error instanceof UpstreamUnavailableError)) throw error;
    }
    if (ruling.kind === 'deny') {
      this.log.info('tool call denied', { tool: name });
      return denied(ruling.message, { tool: name });
    }
    const own = meta?.[IDEMPOTENCY_META];
    if (own !== undefined && (typeof own !== 'string' || own.length === 0 || own.length > 200 || !TOOL_NAME.test(own))) {
      return refused('invalid_idempotency_key', `_meta["${IDEMPOTENCY_META}"] must be text of 1..200 characters`);
    }
    return this.withControlPlane(async () => {
      const created = await this.createOrFind(
        agent,
        { kind: 'call', tool: name, arguments: argumentsOf, own: own ?? null },
        {
          action: ruling.action,
          targets: [split.upstream],
          params: { tool: split.tool, arguments: argumentsOf },
        },
      );
      if ('refusal' in created) return created.refusal;
      this.log.info('tool call became a run', { tool: name, run_id: created.run.execution_id, status: created.run.status });
      // A call that needs nobody's approval is waited for, a bounded time; one that needs approval is answered at once.
      const run =
        created.run.status === 'BLOCKED' ? created.run : await this.settle(agent, created.run, this.config.callWaitSeconds * 1000);
      return answerForRun(run, this.config);
    });
  }

  /** get_approval_status: the run's answer now, or once it ended (waiting at most waitSeconds). */
  async status(agent: AgentSession, runId: unknown, waitSeconds: unknown): Promise<CallToolResult> {
    if (typeof runId !== 'string' || !UUID.test(runId)) return refused('invalid_run_id', 'run_id must be the run id a call answered with');
    const wait = waitSeconds ?? 0;
    if (typeof wait !== 'number' || !Number.isInteger(wait) || wait < 0 || wait > this.config.maxWaitSeconds) {
      return refused('invalid_wait', `wait_seconds must be an integer 0..${this.config.maxWaitSeconds}`);
    }
    return this.withControlPlane(async () => {
      const first = await this.readRun(agent, runId);
      if ('refusal' in first) return first.refusal;
      // Another agent's run (even one this credential may read in its project) is not this agent's to follow.
      if (first.run.requested_by !== (await agent.principalId())) return refused('not_found', NO_SUCH_RUN);
      const run = wait === 0 ? first.run : await this.settle(agent, first.run, wait * 1000);
      return answerForRun(run, this.config);
    });
  }

  /**
   * The permission-prompt tool (coding agents' "ask before using a tool" hook): a run of the
   * configured action with the tool's name and input; allowed once the approvers approved it
   * (and the gateway recorded its use), with the input as approved; denied otherwise, with why.
   */
  async prompt(agent: AgentSession, toolName: unknown, input: unknown): Promise<CallToolResult> {
    const prompt = this.config.permissionPrompt;
    const deny = (message: string, extra: Record<string, unknown> = {}): CallToolResult => ({
      content: [{ type: 'text', text: JSON.stringify({ behavior: 'deny', message }) }],
      structuredContent: { behavior: 'deny', message, ...extra },
    });
    if (!prompt) return deny('this gateway offers no permission prompt');
    if (typeof toolName !== 'string' || !TOOL_NAME.test(toolName)) return deny('tool_name must be text of 1..255 characters');
    const bad = refuseArguments(input ?? {}, this.config.maxArgumentBytes);
    if (bad) return deny(`refused: ${bad.message}`, { code: bad.code });
    const inputOf = (input ?? {}) as Record<string, unknown>;
    const result = await this.withControlPlane(async () => {
      const created = await this.createOrFind(
        agent,
        { kind: 'prompt', tool: toolName, arguments: inputOf, own: null },
        {
          action: prompt.action,
          targets: [toolName],
          params: { tool: toolName, input: inputOf },
        },
      );
      if ('refusal' in created) return created.refusal;
      const run = FINAL_STATUSES.has(created.run.status) ? created.run : await this.settle(agent, created.run, prompt.waitSeconds * 1000);
      // What was approved is this tool: an approver's edit may change its input, never make it another tool's permission.
      const approvedInput = (run.params as { input?: unknown }).input;
      const sameTool =
        (run.params as { tool?: unknown }).tool === toolName &&
        run.targets.length === 1 &&
        run.targets[0] === toolName &&
        typeof approvedInput === 'object' &&
        approvedInput !== null &&
        !Array.isArray(approvedInput);
      if (run.status === 'SUCCEEDED' && !sameTool) {
        return deny(`the approved plan is not an input for ${toolName} (run ${run.execution_id})`, {
          status: 'plan_mismatch',
          run_id: run.execution_id,
        });
      }
      if (run.status === 'SUCCEEDED') {
        const approved = approvedInput as Record<string, unknown>;
        return {
          content: [{ type: 'text', text: JSON.stringify({ behavior: 'allow', updatedInput: approved }) }],
          structuredContent: { behavior: 'allow', updatedInput: approved, run_id: run.execution_id },
        } satisfies CallToolResult;
      }
      const said = answerForRun(run, this.config).structuredContent as { status: string; message: string };
      return deny(`${said.status}: ${said.message} (run ${run.execution_id})`, {
        status: said.status,
        run_id: run.execution_id,
        ...consoleLink(this.config, run.execution_id),
      });
    });
    if (result.structuredContent && 'behavior' in result.structuredContent) return result;
    const said = result.structuredContent as { status?: string; message?: string } | undefined;
    return deny(`${said?.status ?? 'refused'}: ${said?.message ?? 'the control plane refused it'}`, { status: said?.status });
  }

  /**
   * The agent's run of this call: the one a retry finds (its key, or the previous window's: a
   * retry just after a window turned finds the run too, so one call's runs are apart by at least
   * the window), else a new one. A run found under a key is the agent's, by the key's HMAC; one
   * that is not is refused, never answered.
   */
  private async createOrFind(
    agent: AgentSession,
    call: { kind: string; tool: string; arguments: Record<string, unknown>; own: string | null },
    plan: { action: string; targets: string[]; params: Record<string, unknown> },
  ): Promise<{ run: Run } | { refusal: CallToolResult }> {
    const principal = await agent.principalId();
    const keyIn = (window: number | null) =>
      agent.keyOf({ principal, kind: call.kind, tool: call.tool, arguments: call.arguments, window, own: call.own });
    const window = Math.floor(Date.now() / 1000 / this.config.dedupeWindowSeconds);
    if (call.own === null) {
      const earlier = await getRunByKey(agent.client, {
        params: { query: { project_id: this.config.project, idempotency_key: keyIn(window - 1) } },
      });
      if (earlier.data) return this.ownRun(earlier.data, principal);
    }
    const { data, error, response } = await createRunAsGiven(agent.client, {
      body: {
        project_id: this.config.project,
        action: plan.action,
        targets: plan.targets,
        params: plan.params,
        idempotency_key: keyIn(call.own === null ? window : null),
      },
    });
    if (data) return this.ownRun(data, principal);
    return { refusal: refusalOf(response.status, error, plan.action) };
  }

  private ownRun(run: Run, principal: string): { run: Run } | { refusal: CallToolResult } {
    if (run.requested_by === principal) return { run };
    this.log.warn('a run under this agent’s key is not its own', { run_id: run.execution_id });
    return { refusal: refused('idempotency_conflict', 'another principal holds this call’s idempotency key; nothing was run') };
  }

  private async readRun(agent: AgentSession, runId: string): Promise<{ run: Run } | { refusal: CallToolResult }> {
    const { data, error, response } = await getRun(agent.client, { params: { path: { execution_id: runId } } });
    if (data) return { run: data };
    if (response.status === 404) return { refusal: refused('not_found', NO_SUCH_RUN) };
    return { refusal: refusalOf(response.status, error, null) };
  }

  /**
   * The run once it is final, or as it is when the time is up: a long-poll on its trail from one
   * position, the run read again only when an event may have ended it (not for steps, progress,
   * claims, votes, nor a status change to one that is not final).
   */
  private async settle(agent: AgentSession, run: Run, ms: number): Promise<Run> {
    const until = Date.now() + ms;
    const path = { execution_id: run.execution_id };
    const first = await listRunEvents(agent.client, { params: { path } });
    const seen = first.data?.events ?? [];
    let after = seen.length > 0 ? seen[seen.length - 1].id : undefined;
    // Read after the trail's position is known: an end before it is seen here, one after wakes the long-poll.
    let current = await this.readRun(agent, run.execution_id);
    while ('run' in current && !FINAL_STATUSES.has(current.run.status)) {
      const left = until - Date.now();
      if (left <= 0) break;
      const next = await listRunEvents(agent.client, {
        params: { path, query: { wait: Math.max(1, Math.min(30, Math.floor(left / 1000))), ...(after ? { after } : {}) } },
      });
      if (!next.data) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      const events = next.data.events;
      if (events.length === 0) {
        // Nothing new, and the run has ended (the poll answers at once then): read it rather than poll again.
        if (next.data.ended) current = await this.readRun(agent, run.execution_id);
        continue;
      }
      after = events[events.length - 1].id;
      if (events.some(mayEndTheRun)) current = await this.readRun(agent, run.execution_id);
    }
    return 'run' in current ? current.run : run;
  }

  /** The control plane unreachable, or refusing the agent's credential: a structured answer, never a thrown error. */
  private async withControlPlane(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ControlPlaneRefusal)
        return refusalOf(error.status, { error: { code: error.code, message: error.message } }, null);
      this.log.warn('control plane unreachable', { error: messageOf(error) });
      return unavailable('the control plane cannot be reached');
    }
  }
}

/** Events after which a run is never final without a further one. */
const QUIET_EVENTS: ReadonlySet<string> = new Set([
  'step.started',
  'step.progress',
  'step.finished',
  'run.claimed',
  'run.dedup_hit',
  'approval.vote_cast',
]);

function mayEndTheRun(event: { type: string; data?: unknown }): boolean {
  if (QUIET_EVENTS.has(event.type)) return false;
  if (event.type !== 'run.status_changed') return true;
  const to = (event.data as { to?: unknown } | null | undefined)?.to;
  return typeof to !== 'string' || FINAL_STATUSES.has(to);
}

function codeOf(error: unknown): string {
  const code = (error as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : 'unknown';
}

function planeMessageOf(error: unknown): string {
  const message = (error as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : 'refused';
}

/** A refusal of the control plane, as the agent is told it: denied when policy or permission says no, refused for bad input, unavailable for an outage. */
function refusalOf(status: number, error: unknown, action: string | null): CallToolResult {
  const code = codeOf(error);
  const message = planeMessageOf(error);
  if (status === 503 || status >= 500) return unavailable(`the control plane answered ${status}`);
  if (status === 401)
    return refused('unauthenticated', `the control plane refused the agent's credential: ${message}`, { plane_code: code });
  if (status === 403) return denied(`the control plane does not let this agent do it: ${message}`, { plane_code: code });
  // The policy refuses it: no such action type, a target or an argument outside its scopes.
  if (status === 422)
    return denied(`the control plane's policy refuses it${action ? ` (${action})` : ''}: ${message}`, { plane_code: code });
  if (status === 409) return refused(code, message, { plane_code: code });
  return answer({ status: 'refused', code: 'invalid_call', message, plane_code: code }, true);
}
