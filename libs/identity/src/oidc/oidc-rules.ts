import { readFileSync } from 'node:fs';
import { PROJECT_SCOPE_PATTERN } from '@lib/common';
import { Role } from '../permissions';
import { normalizeGrants, product, RoleGrant } from '../principal';

/** A rules file that cannot be used; the message names the file and the bad field. */
export class OidcRulesError extends Error {}

/**
 * A rule: when the token's claim `claim` equals `value` (or, for a list claim, contains it), the
 * person gets each of these roles on each of these projects. A person's grants are those of the
 * rules that match, each on its own projects; no rule, no role.
 */
export interface OidcRule {
  readonly claim: string;
  readonly value: string;
  readonly roles: readonly Role[];
  readonly projectIds: readonly string[];
}

export interface OidcRules {
  /** Claims tried in order for the person's display name; `sub` when none is present. */
  readonly nameClaims: readonly string[];
  readonly rules: readonly OidcRule[];
}

const PROJECT = PROJECT_SCOPE_PATTERN;
const CLAIM = /^[A-Za-z0-9_.:-]{1,128}$/;
/** A person's roles: worker is a service's (a person never carries runs out). */
const ROLES = new Set<string>(Object.values(Role).filter((role) => role !== Role.Worker));

export function loadOidcRules(path: string): OidcRules {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new OidcRulesError(`OIDC rules file ${path}: cannot be read as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseOidcRules(raw, path);
}

export function parseOidcRules(raw: unknown, source = 'OIDC rules'): OidcRules {
  const fail = (field: string, problem: string): never => {
    throw new OidcRulesError(`${source}: ${field} ${problem}`);
  };
  if (!isObject(raw)) return fail('(root)', 'must be an object');
  for (const key of Object.keys(raw)) if (key !== 'name_claims' && key !== 'rules') fail(key, 'is not a known field');
  const nameClaims = raw.name_claims ?? ['name', 'preferred_username', 'email'];
  if (!Array.isArray(nameClaims) || nameClaims.some((claim) => typeof claim !== 'string' || !CLAIM.test(claim))) {
    fail('name_claims', 'must be a list of claim names');
  }
  if (!Array.isArray(raw.rules)) return fail('rules', 'must be a list');
  const rules = (raw.rules as unknown[]).map((entry, index): OidcRule => {
    const at = `rules[${index}]`;
    if (!isObject(entry)) return fail(at, 'must be an object');
    for (const key of Object.keys(entry))
      if (!['claim', 'value', 'roles', 'project_ids'].includes(key)) fail(`${at}.${key}`, 'is not a known field');
    if (typeof entry.claim !== 'string' || !CLAIM.test(entry.claim)) fail(`${at}.claim`, 'must be a claim name');
    if (typeof entry.value !== 'string' || entry.value.length === 0 || entry.value.length > 512)
      fail(`${at}.value`, 'must be text of 1 to 512 characters');
    if (!Array.isArray(entry.roles) || entry.roles.some((role) => typeof role !== 'string' || !ROLES.has(role))) {
      fail(`${at}.roles`, `must be a list of ${[...ROLES].join(', ')}`);
    }
    if (!Array.isArray(entry.project_ids) || entry.project_ids.some((project) => typeof project !== 'string' || !PROJECT.test(project))) {
      fail(`${at}.project_ids`, 'must be a list of project ids or "*"');
    }
    return {
      claim: entry.claim as string,
      value: entry.value as string,
      roles: entry.roles as Role[],
      projectIds: entry.project_ids as string[],
    };
  });
  return { nameClaims: nameClaims as string[], rules };
}

/**
 * What the rules give a token's claims: each matching rule grants its roles on its projects, and
 * only there (requester on one project and approver on another is not approver on both).
 */
export function grantsOf(rules: OidcRules, claims: Record<string, unknown>): RoleGrant[] {
  const grants: RoleGrant[] = [];
  for (const rule of rules.rules) {
    const value = claims[rule.claim];
    const matches = Array.isArray(value) ? value.includes(rule.value) : value === rule.value;
    if (matches) grants.push(...product(rule.roles, rule.projectIds));
  }
  return normalizeGrants(grants);
}

const NAME_MAX = 200;

/**
 * The person's display name from the first name claim present (text only), else the subject:
 * what a person typed at their identity provider, made storable (no control characters, a lone
 * surrogate replaced, at most 200 code points) rather than refused, so that editing one's name
 * never locks one out.
 */
export function nameOf(rules: OidcRules, claims: Record<string, unknown>, subject: string): string {
  for (const claim of rules.nameClaims) {
    const value = claims[claim];
    if (typeof value !== 'string') continue;
    const name = storableName(value);
    if (name !== '') return name;
  }
  return storableName(subject) || 'unnamed';
}

function storableName(value: string): string {
  const cleaned = value
    .toWellFormed()

    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .trim();
  return [...cleaned].slice(0, NAME_MAX).join('').trim();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
