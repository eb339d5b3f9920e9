import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parsePolicy, PolicyFileError } from './policy-file';
import { findScopeViolation, matchesPattern } from './scope';

const shipped = JSON.parse(readFileSync(resolve(__dirname, '../../../policies/action-types.json'), 'utf8'));

function withAction(patch: Record<string, unknown>, index = 1): unknown {
  const copy = structuredClone(shipped);
  copy.action_types[index] = { ...copy.action_types[index], ...patch };
  return copy;
}

describe('policy file', () => {
  it('accepts the shipped policy, and its hash ignores key order', () => {
    const policy = parsePolicy(shipped);
    expect(policy.actionTypes.map((actionType) => actionType.code)).toContain('governance.authorize_build_step');
    const reordered = {
      action_types: shipped.action_types.map((entry: Record<string, unknown>) => Object.fromEntries(Object.entries(entry).reverse())),
      version: 1,
    };
    expect(parsePolicy(reordered).hash).toBe(policy.hash);
    expect(parsePolicy(withAction({ approval_ttl_seconds: 60 })).hash).not.toBe(policy.hash);
  });

  it.each<[string, unknown, RegExp]>([
    ['a level out of range', withAction({ approval_level: 4 }), /action_types\[1\]\.approval_level must be 0, 1, 2 or 3/],
    [
      'level 0 with approvers required',
      withAction({ approval_level: 0, required_approvals: 1 }),
      /action_types\[1\]\.required_approvals must be 0/,
    ],
    [
      'level 2 with no quorum',
      withAction({ approval_level: 2, required_approvals: 0 }),
      /action_types\[1\]\.required_approvals must be at least 1/,
    ],
    ['an unknown role', withAction({ approver_roles: ['root'] }), /action_types\[1\]\.approver_roles/],
    ['an unknown field', withAction({ aproval_level: 1 }), /action_types\[1\]\.aproval_level is not a known field/],
    ['a bad ttl', withAction({ approval_ttl_seconds: 0 }), /action_types\[1\]\.approval_ttl_seconds/],
    ['no target scope', withAction({ allowed_scopes: {} }), /action_types\[1\]\.allowed_scopes\.targets/],
    ['a duplicate code', withAction({ code: shipped.action_types[0].code }), /action_types\[1\]\.code duplicates/],
    ['no action types', { version: 1, action_types: [] }, /action_types must be a non-empty array/],
  ])('refuses %s, naming the field', (_name, document, message) => {
    expect(() => parsePolicy(document)).toThrow(PolicyFileError);
    expect(() => parsePolicy(document)).toThrow(message);
  });
});

describe('scope', () => {
  it('matches * as any run of characters and nothing else as a pattern', () => {
    expect(matchesPattern('web-1', 'web-*')).toBe(true);
    expect(matchesPattern('api-1', 'web-*')).toBe(false);
    expect(matchesPattern('a.b', 'a.b')).toBe(true);
    expect(matchesPattern('axb', 'a.b')).toBe(false);
    expect(matchesPattern('anything', '*')).toBe(true);
  });

  it('names the first target or namespace outside the allowlist', () => {
    const policy = parsePolicy(shipped);
    const build = policy.actionTypes.find((actionType) => actionType.code === 'governance.authorize_build_step');
    if (!build) throw new Error('the shipped policy lost its build action');
    expect(findScopeViolation(build, { targets: ['DOT_C1_VOCAB_BUILD'], params: { namespace: 'DRYRUN-NS' } })).toBeNull();
    expect(findScopeViolation(build, { targets: ['PROD_BUILD'], params: { namespace: 'DRYRUN-NS' } })).toEqual({
      field: 'targets',
      value: 'PROD_BUILD',
    });
    expect(findScopeViolation(build, { targets: ['DOT_C1_VOCAB_BUILD'], params: {} })).toEqual({
      field: 'params.namespace',
      value: 'undefined',
    });
  });
});
