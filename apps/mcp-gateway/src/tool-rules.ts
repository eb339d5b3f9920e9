import { findUnstorableJson, matchesPattern, MAX_JSON_DEPTH } from '@lib/common';
import type { GatewayConfig, ToolRule } from './gateway-config';

/** How a tool reaches the agent: `<upstream>__<tool>`. */
export const SEPARATOR = '__';

export function exposedName(upstream: string, tool: string): string {
  return `${upstream}${SEPARATOR}${tool}`;
}

/** The upstream and its tool of an exposed name, or null when it names no upstream. */
export function splitExposed(name: string): { upstream: string; tool: string } | null {
  const at = name.indexOf(SEPARATOR);
  if (at <= 0 || at + SEPARATOR.length >= name.length) return null;
  return { upstream: name.slice(0, at), tool: name.slice(at + SEPARATOR.length) };
}

export type Ruling =
  { readonly kind: 'run'; readonly action: string; readonly rule: ToolRule } | { readonly kind: 'deny'; readonly message: string };

/** The first rule naming this tool whose argument patterns all match; none: denied (closed by default). */
export function ruleFor(config: Pick<GatewayConfig, 'tools'>, tool: string, args: Record<string, unknown>): Ruling {
  for (const rule of config.tools) {
    if (!matchesPattern(tool, rule.tool)) continue;
    if (!Object.entries(rule.when).every(([name, pattern]) => argumentMatches(args[name], pattern))) continue;
    if (rule.action === null) return { kind: 'deny', message: rule.deny ?? 'denied by the gateway' };
    return { kind: 'run', action: rule.action, rule };
  }
  return { kind: 'deny', message: 'no rule of the gateway governs this tool, so it is denied' };
}

/** Whether some call of this tool could be allowed (a tool every call of which is denied is not listed). */
export function mayBeCalled(config: Pick<GatewayConfig, 'tools'>, tool: string): boolean {
  for (const rule of config.tools) {
    if (!matchesPattern(tool, rule.tool)) continue;
    if (rule.action !== null) return true;
    if (Object.keys(rule.when).length === 0) return false;
  }
  return false;
}

function argumentMatches(value: unknown, pattern: string): boolean {
  if (typeof value === 'string') return matchesPattern(value, pattern);
  if (typeof value === 'number' || typeof value === 'boolean') return matchesPattern(String(value), pattern);
  return false;
}

/** Why a call's arguments cannot become a run, or null. */
export type ArgumentRefusal = { readonly code: string; readonly message: string; readonly path?: string };

export function refuseArguments(args: unknown, maxBytes: number): ArgumentRefusal | null {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    return { code: 'invalid_arguments', message: 'the arguments must be a JSON object' };
  }
  let text: string;
  try {
    text = JSON.stringify(args);
  } catch {
    return { code: 'invalid_arguments', message: 'the arguments are not JSON' };
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes)
    return { code: 'arguments_too_large', message: `the arguments are ${bytes} bytes; at most ${maxBytes} are allowed` };
  // Stored as params.arguments: two levels below the run's params.
  const bad = findUnstorableJson(args, '$', 2);
  if (bad !== null) {
    return {
      code: 'invalid_arguments',
      message: `the arguments cannot be stored at ${bad} (a NUL, a lone surrogate, a number JSON cannot hold, or deeper than ${MAX_JSON_DEPTH - 2} levels)`,
      path: bad,
    };
  }
  const secret = findSecretReference(args, '$');
  if (secret !== null) {
    return {
      code: 'secret_reference',
      message: `an agent cannot name the control plane's secrets: {"$secret": …} at ${secret}`,
      path: secret,
    };
  }
  return null;
}

/** The path of the first `{"$secret": …}` reference in a value, or null. */
export function findSecretReference(value: unknown, path: string): string | null {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = findSecretReference(value[index], `${path}[${index}]`);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    if (Object.prototype.hasOwnProperty.call(value, '$secret')) return path;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const found = findSecretReference(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}
