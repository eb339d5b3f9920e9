import { readFileSync } from 'node:fs';
import { PROJECT_SCOPE_PATTERN } from '@lib/common';
import { ALL_PROJECTS, Role } from '../../permissions';

/** A rules file that cannot be used; the message names the file and the bad field. */
export class OidcRulesError extends Error {}

/**
 * A rule: when the token's claim `claim` equals `value` (or, for a list claim, contains it), the
 * person gets these roles and project scopes. A person's roles and scopes are the union of the
 * rules that match (one set of each, as for a key); no rule, no role.
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
const ROLES = new Set<string>(Object.values(Role));

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

/** What the rules give a token's claims: the union of the roles and scopes of every rule that matches. */
export function grantsOf(rules: OidcRules, claims: Record<string, unknown>): { roles: Role[]; projectIds: string[] } {
  const roles = new Set<Role>();
  const projects = new Set<string>();
  for (const rule of rules.rules) {
    const value = claims[rule.claim];
    const matches = Array.isArray(value) ? value.includes(rule.value) : value === rule.value;
    if (!matches) continue;
    rule.roles.forEach((role) => roles.add(role));
    rule.projectIds.forEach((project) => projects.add(project));
  }
  const projectIds = projects.has(ALL_PROJECTS) ? [ALL_PROJECTS] : [...projects].sort();
  return { roles: [...roles].sort(), projectIds };
}

/** The person's display name from the first name claim present (text only), else the subject. */
export function nameOf(rules: OidcRules, claims: Record<string, unknown>, subject: string): string {
  for (const claim of rules.nameClaims) {
    const value = claims[claim];
    if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, 200);
  }
  return subject.slice(0, 200);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
