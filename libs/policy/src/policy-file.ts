import { readFileSync } from 'node:fs';
import { canonicalHash, CODE_PATTERN } from '@lib/common';
import { Role } from '@lib/identity';
import { ActionType, Policy, REMOTE_HANDLER } from './action-type';

/** A policy file that cannot be used; the message names the file and the bad field. */
export class PolicyFileError extends Error {}

const CODE = CODE_PATTERN;
const PATTERN = /^[^\p{Cc}]{1,255}$/u;
const MAX_TTL_SECONDS = 30 * 86400;
const ACTION_FIELDS = new Set([
  'code',
  'description',
  'approval_level',
  'required_approvals',
  'approver_roles',
  'approval_ttl_seconds',
  'allowed_scopes',
  'mints_grant',
  'handler',
  'executor',
  'steps',
  'immediate',
  'max_attempts',
  'sla_class',
  'allowed_urls',
]);
const DEFAULT_MAX_ATTEMPTS = 3;
const MAX_STEPS = 50;
/** The roles a vote may come from (the database's approver_roles CHECK says the same). */
const APPROVER_ROLES: readonly string[] = [Role.Requester, Role.Approver, Role.Admin];
const DEFAULT_SLA_CLASS = 'standard';

export function loadPolicyFile(path: string): Policy {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PolicyFileError(`policy file ${path}: cannot be read as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parsePolicy(raw, path);
}

/** Validates a parsed policy document; every error names the field, e.g. `action_types[2].approval_level`. */
export function parsePolicy(raw: unknown, source = 'policy'): Policy {
  const fail = (field: string, problem: string): never => {
    throw new PolicyFileError(`${source}: ${field} ${problem}`);
  };
  if (!isObject(raw)) return fail('(root)', 'must be an object');
  if (raw.version !== 1) fail('version', 'must be 1');
  if (!Array.isArray(raw.action_types) || raw.action_types.length === 0) fail('action_types', 'must be a non-empty array');
  const seen = new Set<string>();
  const actionTypes = (raw.action_types as unknown[]).map((entry, index) => {
    const actionType = parseActionType(entry, `action_types[${index}]`, fail);
    if (seen.has(actionType.code)) fail(`action_types[${index}].code`, `duplicates "${actionType.code}"`);
    seen.add(actionType.code);
    return actionType;
  });
  return { version: 1, actionTypes, hash: canonicalHash(raw), document: raw };
}

function parseActionType(entry: unknown, at: string, fail: (field: string, problem: string) => never): ActionType {
  if (!isObject(entry)) return fail(at, 'must be an object');
  for (const key of Object.keys(entry)) if (!ACTION_FIELDS.has(key)) fail(`${at}.${key}`, 'is not a known field');
  const code = entry.code;
  if (typeof code !== 'string' || !CODE.test(code)) fail(`${at}.code`, 'must match [A-Za-z0-9._:-]{1,128}');
  const level = entry.approval_level;
  if (level !== 0 && level !== 1 && level !== 2 && level !== 3) fail(`${at}.approval_level`, 'must be 0, 1, 2 or 3');
  const required = entry.required_approvals;
  if (!Number.isInteger(required) || (required as number) < 0 || (required as number) > 10)
    fail(`${at}.required_approvals`, 'must be an integer 0..10');
  if (level === 0 && required !== 0) fail(`${at}.required_approvals`, 'must be 0 for approval_level 0 (approved by the system)');
  if (level !== 0 && (required as number) < 1) fail(`${at}.required_approvals`, 'must be at least 1 for approval_level 1..3');
  const roles = entry.approver_roles;
  if (!Array.isArray(roles) || roles.some((role) => !APPROVER_ROLES.includes(role as string)))
    fail(`${at}.approver_roles`, `must be an array of ${APPROVER_ROLES.join(', ')}`);
  if (level !== 0 && (roles as unknown[]).length === 0) fail(`${at}.approver_roles`, 'must name at least one role for approval_level 1..3');
  const ttl = entry.approval_ttl_seconds;
  if (!Number.isInteger(ttl) || (ttl as number) < 1 || (ttl as number) > MAX_TTL_SECONDS)
    fail(`${at}.approval_ttl_seconds`, `must be an integer 1..${MAX_TTL_SECONDS}`);
  const scopes = entry.allowed_scopes;
  if (!isObject(scopes)) return fail(`${at}.allowed_scopes`, 'must be an object');
  for (const key of Object.keys(scopes))
    if (key !== 'targets' && key !== 'namespaces') fail(`${at}.allowed_scopes.${key}`, 'is not a known field');
  const targets = patterns(scopes.targets, `${at}.allowed_scopes.targets`, fail);
  const namespaces = scopes.namespaces === undefined ? undefined : patterns(scopes.namespaces, `${at}.allowed_scopes.namespaces`, fail);
  if (entry.mints_grant !== undefined && typeof entry.mints_grant !== 'boolean') fail(`${at}.mints_grant`, 'must be a boolean');
  if (entry.description !== undefined && typeof entry.description !== 'string') fail(`${at}.description`, 'must be a string');
  const executor = entry.executor ?? 'in_process';
  if (executor !== 'in_process' && executor !== 'remote') fail(`${at}.executor`, 'must be "in_process" or "remote"');
  const remote = executor === 'remote';
  if (remote) {
    if (entry.handler !== undefined && entry.handler !== REMOTE_HANDLER)
      fail(`${at}.handler`, `must be left out (or "${REMOTE_HANDLER}") for a remote action: its workers carry it out`);
    if (entry.immediate === true)
      fail(`${at}.immediate`, 'is not allowed for a remote action (it runs in a worker of yours, not in the request)');
    if (entry.mints_grant === true) fail(`${at}.mints_grant`, 'is not allowed for a remote action');
    if (entry.allowed_urls !== undefined) fail(`${at}.allowed_urls`, 'is for the built-in http.request handler, not a remote action');
  } else {
    if (typeof entry.handler !== 'string' || !CODE.test(entry.handler))
      fail(`${at}.handler`, 'must name a handler ([A-Za-z0-9._:-]{1,128})');
    if (entry.handler === REMOTE_HANDLER) fail(`${at}.handler`, `is "${REMOTE_HANDLER}": set "executor": "remote" instead`);
    if (entry.steps !== undefined) fail(`${at}.steps`, 'is only for a remote action (a built-in handler plans its own steps)');
  }
  const steps = entry.steps === undefined ? [] : entry.steps;
  if (!Array.isArray(steps) || steps.length > MAX_STEPS || steps.some((step) => typeof step !== 'string' || !CODE.test(step)))
    fail(`${at}.steps`, `must be a list of at most ${MAX_STEPS} step names ([A-Za-z0-9._:-]{1,128})`);
  if (new Set(steps as string[]).size !== (steps as string[]).length) fail(`${at}.steps`, 'must name each step once');
  if (entry.immediate !== undefined && typeof entry.immediate !== 'boolean') fail(`${at}.immediate`, 'must be a boolean');
  if (entry.immediate === true && level !== 0) fail(`${at}.immediate`, 'is only allowed for approval_level 0 (read-only actions)');
  const attempts = entry.max_attempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(attempts) || (attempts as number) < 1 || (attempts as number) > 10)
    fail(`${at}.max_attempts`, 'must be an integer 1..10');
  const sla = entry.sla_class ?? DEFAULT_SLA_CLASS;
  if (typeof sla !== 'string' || !CODE.test(sla)) fail(`${at}.sla_class`, 'must match [A-Za-z0-9._:-]{1,128}');
  const urls = entry.allowed_urls === undefined ? [] : patterns(entry.allowed_urls, `${at}.allowed_urls`, fail);
  return {
    code: code,
    description: entry.description ?? '',
    approvalLevel: level,
    requiredApprovals: required as number,
    approverRoles: [...new Set(roles as Role[])],
    approvalTtlSeconds: ttl as number,
    allowedScopes: namespaces === undefined ? { targets } : { targets, namespaces },
    mintsGrant: entry.mints_grant === true,
    handler: remote ? REMOTE_HANDLER : (entry.handler as string),
    executor,
    steps: steps as string[],
    immediate: entry.immediate === true,
    maxAttempts: attempts as number,
    slaClass: sla,
    allowedUrls: urls,
  };
}

function patterns(value: unknown, field: string, fail: (field: string, problem: string) => never): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((item) => typeof item !== 'string' || !PATTERN.test(item))) {
    return fail(field, 'must be a non-empty array of patterns (text, `*` for any run of characters)');
  }
  return value as string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
