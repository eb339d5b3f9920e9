import { createWorker, type HandedStep, type StepAnswer, type Worker, type WorkerStepContext } from '@control-plane/client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayConfig } from './gateway-config';
import type { GatewayLog } from './gateway-log';
import { MAY_HAVE_RUN } from './tool-answers';
import { exposedName, findSecretReference, ruleFor } from './tool-rules';
import { messageOf, UnknownToolError, UpstreamPool, UpstreamUnavailableError } from './upstream-pool';

/** An attempt that failed before it could reach the upstream says so first; the next attempt may then call the tool. */
const NOT_INVOKED = 'not_invoked:';
/** What the control plane keeps of a result is 10 KiB; the gateway cuts the tool's result below that. */
export const MAX_STORED_RESULT_BYTES = 9_000;

/**
 * The gateway as an executor of its runs, over the worker protocol (a worker key): it claims the
 * approved runs of its rules' action types and calls the upstream tool exactly once per run, with
 * the arguments stored in the run (as approved: an approver's plan change is what runs), under
 * the run's lease, timeout and cancellation. The result goes into the run (cut to what the
 * control plane keeps; secrets masked there).
 *
 * Exactly once: a run handed out again after an attempt that may have reached the upstream (the
 * gateway was killed, or lost its lease, mid-call) is not called again unless its rule declares
 * the tool idempotent; it ends FAILED with `may_have_run`, never a silent second call. An
 * attempt that certainly did not reach it (the upstream could not be reached) says so, and the
 * next attempt calls the tool.
 */
export function startToolExecutor(input: {
  config: GatewayConfig;
  upstreams: UpstreamPool;
  log: GatewayLog;
  baseUrl: string;
  workerCredential: string;
  concurrency?: number;
}): Worker {
  const { config, upstreams, log } = input;
  const actions: Record<string, (step: HandedStep, ctx: WorkerStepContext) => Promise<StepAnswer>> = {};
  for (const rule of config.tools) if (rule.action !== null) actions[rule.action] = (step, ctx) => callTool(step, ctx);
  if (config.permissionPrompt) actions[config.permissionPrompt.action] = async (_step, ctx) => grantPermission(ctx);

  async function callTool(step: HandedStep, ctx: WorkerStepContext): Promise<StepAnswer> {
    const { run } = ctx;
    const upstream = run.targets[0];
    // The arguments as requested and approved (a step's input has secrets resolved): the tool gets exactly these.
    const tool = run.params.tool;
    const args = run.params.arguments;
    if (run.targets.length !== 1 || typeof upstream !== 'string' || typeof tool !== 'string' || !isObject(args) || step.index !== 0) {
      return { outcome: 'FAIL:not_a_tool_call', result: { message: 'the run does not name one upstream, a tool and its arguments' } };
    }
    // A run made around the gateway (straight through the API) could name the control plane's secrets: never handed to a tool.
    const secret = findSecretReference(args, '$');
    if (secret !== null) return { outcome: 'FAIL:secret_reference', result: { message: `the arguments name a secret at ${secret}` } };
    // The rules as they are now, over the arguments as approved: a plan changed into something denied is not run.
    const ruling = ruleFor(config, exposedName(upstream, tool), args);
    if (ruling.kind === 'deny') return { outcome: 'FAIL:denied', result: { message: ruling.message } };
    if (ruling.action !== run.action) {
      return {
        outcome: 'FAIL:denied',
        result: { message: `the gateway's rules make this call a run of ${ruling.action}, not ${run.action}` },
      };
    }
    if (run.attempt > 1 && !ruling.rule.idempotent && !(run.previous_error ?? '').startsWith(NOT_INVOKED)) {
      log.warn('not called again: an earlier attempt may have run it', { run_id: run.execution_id, attempt: run.attempt });
      return {
        outcome: `FAIL:${MAY_HAVE_RUN}`,
        result: {
          [MAY_HAVE_RUN]: true,
          message: `attempt ${run.attempt - 1} ended without a result (${run.previous_error ?? 'unknown'}); the tool is not declared idempotent, so it is not called again`,
        },
      };
    }
    try {
      await upstreams.toolOrFail(upstream, tool);
    } catch (error) {
      if (error instanceof UnknownToolError) return { outcome: 'FAIL:unknown_tool', result: { message: error.message } };
      if (error instanceof UpstreamUnavailableError) throw new Error(`${NOT_INVOKED} ${error.message}`);
      throw error;
    }
    const timeoutMs = Math.max(1, Math.min(config.toolTimeoutMs, run.deadline_at ? Date.parse(run.deadline_at) - Date.now() : Infinity));
    log.info('calling the upstream tool', { run_id: run.execution_id, upstream, tool, attempt: run.attempt });
    let result: CallToolResult;
    try {
      result = await upstreams.callTool(upstream, tool, args, { signal: ctx.signal, timeoutMs });
    } catch (error) {
      // It may have reached the upstream: only an idempotent tool is tried again.
      log.warn('the upstream tool call failed', { run_id: run.execution_id, upstream, tool, error: messageOf(error) });
      if (ruling.rule.idempotent) throw error;
      return {
        outcome: `FAIL:${MAY_HAVE_RUN}`,
        result: { [MAY_HAVE_RUN]: true, message: `the call failed on its way: ${messageOf(error)}` },
      };
    }
    return { outcome: 'OK', result: storable(result) };
  }

  function grantPermission(ctx: WorkerStepContext): StepAnswer {
    log.info('permission granted', { run_id: ctx.run.execution_id });
    return { outcome: 'OK', result: { granted: true, tool: ctx.run.params.tool ?? null } };
  }

  return createWorker({
    baseUrl: input.baseUrl,
    credential: input.workerCredential,
    actions,
    concurrency: input.concurrency ?? 4,
    waitSeconds: 20,
    handleSignals: false,
    onError: (error) => log.warn('executor', { error: messageOf(error) }),
  });
}

/** The tool's result as the control plane can keep it: text it can store (no NUL, no lone surrogate, bounded depth), whole or cut with a marker. */
export function storable(answered: CallToolResult): CallToolResult {
  const result = clean(answered, 0) as CallToolResult;
  const whole = {
    content: result.content,
    ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}),
    isError: result.isError === true,
  };
  const bytes = Buffer.byteLength(JSON.stringify(whole), 'utf8');
  if (bytes <= MAX_STORED_RESULT_BYTES) return whole;
  const text = result.content.map((item) => (item.type === 'text' ? item.text : `[${item.type}]`)).join('\n');
  const marker = `\n[cut: the tool's result was ${bytes} bytes; the control plane keeps ${MAX_STORED_RESULT_BYTES}]`;
  let kept = text.slice(0, MAX_STORED_RESULT_BYTES - 500);
  while (Buffer.byteLength(JSON.stringify(kept + marker), 'utf8') > MAX_STORED_RESULT_BYTES - 300)
    kept = kept.slice(0, Math.floor(kept.length * 0.9));
  return {
    content: [{ type: 'text', text: kept.toWellFormed() + marker }],
    isError: result.isError === true,
    _meta: { 'control-plane/cut': true, original_bytes: bytes },
  };
}

function clean(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD').toWellFormed();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 24) return '[too deep to keep]';
  if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [clean(key, depth), clean(item, depth + 1)]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
