import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CODE_PATTERN } from '@lib/common';

/**
 * Glossary
 * - upstream: an MCP server the gateway stands in front of (a command it starts, spoken to over
 *   stdio, or a Streamable HTTP URL). Its tools reach the agent as `<upstream>__<tool>`.
 * - tool rule: which action type of the control plane's policy governs a call of a tool (first
 *   rule that matches the tool's name and, optionally, its arguments), or that it is denied. A
 *   tool no rule names is denied: the gateway is closed by default.
 * - gated call: a tool call that became a run of that action type; the policy's level says
 *   whether it waits for approval (1-3, with a quorum) or runs at once (0).
 */
export class GatewayConfigError extends Error {}

export type UpstreamConfig =
  | {
      readonly name: string;
      readonly command: string;
      readonly args: readonly string[];
      readonly env: Readonly<Record<string, string>>;
      readonly cwd: string;
    }
  | { readonly name: string; readonly url: string };

export interface ToolRule {
  /** A pattern of `<upstream>__<tool>` names (`*`: any run of characters). */
  readonly tool: string;
  /** Argument name → pattern its value must match (a string value, or a number or boolean written as text). */
  readonly when: Readonly<Record<string, string>>;
  /** The action type of the control plane's policy a call becomes a run of; absent for a deny rule. */
  readonly action: string | null;
  /** Why the call is refused (a deny rule). */
  readonly deny: string | null;
  /** The operator declares that running the tool twice with the same arguments does no harm: a run interrupted mid-call is tried again. */
  readonly idempotent: boolean;
}

export interface GatewayConfig {
  /** The control plane's project every run is made in. */
  readonly project: string;
  readonly upstreams: readonly UpstreamConfig[];
  readonly tools: readonly ToolRule[];
  /** The permission-prompt tool's action type (coding agents' "ask before using a tool" hook); null: not offered. */
  readonly permissionPrompt: { readonly action: string; readonly waitSeconds: number } | null;
  /** A link to a run for people, `{run_id}` replaced; null: none. */
  readonly consoleUrl: string | null;
  /** How long a call that needs no approval waits for its result before it answers "running". */
  readonly callWaitSeconds: number;
  /** The longest wait get_approval_status accepts (below MCP clients' request timeout). */
  readonly maxWaitSeconds: number;
  /** Identical calls of one agent within this window are one run (a retry never runs a tool twice). */
  readonly dedupeWindowSeconds: number;
  /** The largest arguments (JSON bytes) a call may carry. */
  readonly maxArgumentBytes: number;
  /** How long one upstream tool call may take, at most (the run's own timeout may be shorter). */
  readonly toolTimeoutMs: number;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const PATTERN = /^[^\p{Cc}]{1,255}$/u;
const TOP_FIELDS = new Set([
  'project',
  'upstreams',
  'tools',
  'permission_prompt',
  'console_url',
  'call_wait_seconds',
  'max_wait_seconds',
  'dedupe_window_seconds',
  'max_argument_bytes',
  'tool_timeout_ms',
]);
const RULE_FIELDS = new Set(['tool', 'when', 'action', 'deny', 'idempotent']);
const UPSTREAM_FIELDS = new Set(['name', 'command', 'args', 'env', 'cwd', 'url']);

export function loadGatewayConfig(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new GatewayConfigError(
      `gateway config ${path}: cannot be read as JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  return parseGatewayConfig(raw, { source: path, baseDir: dirname(resolve(path)), env });
}

/** Validates a parsed gateway config; every error names the field, e.g. `tools[2].action`. */
export function parseGatewayConfig(raw: unknown, options: { source: string; baseDir: string; env: NodeJS.ProcessEnv }): GatewayConfig {
  const fail = (field: string, problem: string): never => {
    throw new GatewayConfigError(`${options.source}: ${field} ${problem}`);
  };
  if (!isObject(raw)) return fail('(root)', 'must be an object');
  for (const key of Object.keys(raw)) if (!TOP_FIELDS.has(key)) fail(key, 'is not a known field');
  if (typeof raw.project !== 'string' || !CODE_PATTERN.test(raw.project)) fail('project', 'must be a project id ([A-Za-z0-9._:-]{1,128})');
  if (!Array.isArray(raw.upstreams) || raw.upstreams.length === 0) fail('upstreams', 'must be a non-empty array');
  const names = new Set<string>();
  const upstreams = (raw.upstreams as unknown[]).map((entry, index) => {
    const upstream = parseUpstream(entry, `upstreams[${index}]`, options, fail);
    if (names.has(upstream.name)) fail(`upstreams[${index}].name`, `duplicates "${upstream.name}"`);
    names.add(upstream.name);
    return upstream;
  });
  if (!Array.isArray(raw.tools) || raw.tools.length === 0) fail('tools', 'must be a non-empty array of rules');
  const tools = (raw.tools as unknown[]).map((entry, index) => parseRule(entry, `tools[${index}]`, fail));
  let permissionPrompt: GatewayConfig['permissionPrompt'] = null;
  if (raw.permission_prompt !== undefined) {
    const prompt = raw.permission_prompt;
    if (!isObject(prompt)) return fail('permission_prompt', 'must be an object');
    for (const key of Object.keys(prompt))
      if (key !== 'action' && key !== 'wait_seconds') fail(`permission_prompt.${key}`, 'is not a known field');
    if (typeof prompt.action !== 'string' || !CODE_PATTERN.test(prompt.action))
      fail('permission_prompt.action', 'must name an action type');
    permissionPrompt = {
      action: prompt.action as string,
      waitSeconds: integer(prompt.wait_seconds, 'permission_prompt.wait_seconds', { min: 0, max: 50, fallback: 30 }, fail),
    };
  }
  const consoleUrl = raw.console_url ?? null;
  if (
    consoleUrl !== null &&
    (typeof consoleUrl !== 'string' || !/^https?:\/\/[^\s]+$/.test(consoleUrl) || !consoleUrl.includes('{run_id}'))
  )
    fail('console_url', 'must be an http(s) URL holding {run_id}');
  return {
    project: raw.project as string,
    upstreams,
    tools,
    permissionPrompt,
    consoleUrl: consoleUrl as string | null,
    callWaitSeconds: integer(raw.call_wait_seconds, 'call_wait_seconds', { min: 0, max: 50, fallback: 20 }, fail),
    maxWaitSeconds: integer(raw.max_wait_seconds, 'max_wait_seconds', { min: 1, max: 50, fallback: 50 }, fail),
    dedupeWindowSeconds: integer(raw.dedupe_window_seconds, 'dedupe_window_seconds', { min: 1, max: 30 * 86400, fallback: 3600 }, fail),
    maxArgumentBytes: integer(raw.max_argument_bytes, 'max_argument_bytes', { min: 1, max: 1_000_000, fallback: 65_536 }, fail),
    toolTimeoutMs: integer(raw.tool_timeout_ms, 'tool_timeout_ms', { min: 100, max: 3_600_000, fallback: 300_000 }, fail),
  };
}

function parseUpstream(
  entry: unknown,
  at: string,
  options: { baseDir: string; env: NodeJS.ProcessEnv },
  fail: (field: string, problem: string) => never,
): UpstreamConfig {
  if (!isObject(entry)) return fail(at, 'must be an object');
  for (const key of Object.keys(entry)) if (!UPSTREAM_FIELDS.has(key)) fail(`${at}.${key}`, 'is not a known field');
  if (typeof entry.name !== 'string' || !NAME.test(entry.name)) fail(`${at}.name`, 'must match [A-Za-z0-9_-]{1,64}');
  const name = entry.name;
  if (name.includes('__') || name.startsWith('_') || name.endsWith('_'))
    fail(`${at}.name`, 'must not hold "__", nor begin or end with "_" (`__` separates the upstream from the tool)');
  if ((entry.command === undefined) === (entry.url === undefined))
    fail(at, 'must name a command (stdio) or a url (Streamable HTTP), one of them');
  if (entry.url !== undefined) {
    if (typeof entry.url !== 'string' || !/^https?:\/\/[^\s]+$/.test(entry.url)) fail(`${at}.url`, 'must be an http(s) URL');
    for (const key of ['args', 'env', 'cwd']) if (entry[key] !== undefined) fail(`${at}.${key}`, 'is for a command, not a url');
    return { name, url: entry.url };
  }
  if (typeof entry.command !== 'string' || entry.command.length === 0) fail(`${at}.command`, 'must be a non-empty string');
  const args = entry.args ?? [];
  if (!Array.isArray(args) || args.some((arg) => typeof arg !== 'string')) fail(`${at}.args`, 'must be an array of strings');
  const env: Record<string, string> = {};
  if (entry.env !== undefined) {
    if (!isObject(entry.env)) return fail(`${at}.env`, 'must be an object of strings');
    for (const [key, value] of Object.entries(entry.env)) {
      if (typeof value !== 'string') fail(`${at}.env.${key}`, 'must be a string');
      // `${NAME}` takes the gateway's own variable: the config names secrets, never holds them.
      env[key] = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, variable: string) => {
        const found = options.env[variable];
        return found === undefined ? fail(`${at}.env.${key}`, `names \${${variable}}, which is not set`) : found;
      });
    }
  }
  if (entry.cwd !== undefined && typeof entry.cwd !== 'string') fail(`${at}.cwd`, 'must be a string');
  return {
    name,
    command: entry.command,
    args: (args as string[]).map((arg) => arg),
    env,
    cwd: resolve(options.baseDir, entry.cwd ?? '.'),
  };
}

function parseRule(entry: unknown, at: string, fail: (field: string, problem: string) => never): ToolRule {
  if (!isObject(entry)) return fail(at, 'must be an object');
  for (const key of Object.keys(entry)) if (!RULE_FIELDS.has(key)) fail(`${at}.${key}`, 'is not a known field');
  if (typeof entry.tool !== 'string' || !PATTERN.test(entry.tool)) fail(`${at}.tool`, 'must be a pattern of <upstream>__<tool> names');
  if ((entry.action === undefined) === (entry.deny === undefined))
    fail(at, 'must name an action (the call becomes a run of it) or deny (why it is refused), one of them');
  if (entry.action !== undefined && (typeof entry.action !== 'string' || !CODE_PATTERN.test(entry.action)))
    fail(`${at}.action`, 'must name an action type ([A-Za-z0-9._:-]{1,128})');
  if (entry.deny !== undefined && (typeof entry.deny !== 'string' || entry.deny.length === 0 || entry.deny.length > 500))
    fail(`${at}.deny`, 'must be a reason of 1..500 characters');
  const when: Record<string, string> = {};
  if (entry.when !== undefined) {
    if (!isObject(entry.when) || Object.keys(entry.when).length === 0) return fail(`${at}.when`, 'must be an object of argument patterns');
    for (const [key, value] of Object.entries(entry.when)) {
      if (typeof value !== 'string' || !PATTERN.test(value))
        fail(`${at}.when.${key}`, 'must be a pattern (text, `*` for any run of characters)');
      when[key] = value;
    }
  }
  if (entry.idempotent !== undefined && typeof entry.idempotent !== 'boolean') fail(`${at}.idempotent`, 'must be a boolean');
  if (entry.idempotent !== undefined && entry.deny !== undefined) fail(`${at}.idempotent`, 'is for a rule with an action');
  return {
    tool: entry.tool,
    when,
    action: entry.action ?? null,
    deny: entry.deny ?? null,
    idempotent: entry.idempotent === true,
  };
}

function integer(
  value: unknown,
  field: string,
  bounds: { min: number; max: number; fallback: number },
  fail: (field: string, problem: string) => never,
): number {
  if (value === undefined) return bounds.fallback;
  if (!Number.isInteger(value) || (value as number) < bounds.min || (value as number) > bounds.max)
    fail(field, `must be an integer ${bounds.min}..${bounds.max}`);
  return value as number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
