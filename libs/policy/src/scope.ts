import { matchesPattern } from '@lib/common';
import { ActionType } from './action-type';

export { matchesPattern };

/** The first thing a run asks for that its action type does not allow, or null. */
export function findScopeViolation(
  actionType: ActionType,
  plan: { targets: readonly string[]; params: Record<string, unknown> },
): { field: string; value: string } | null {
  for (const target of plan.targets) {
    if (!actionType.allowedScopes.targets.some((pattern) => matchesPattern(target, pattern))) return { field: 'targets', value: target };
  }
  const namespaces = actionType.allowedScopes.namespaces;
  if (namespaces) {
    const namespace = plan.params.namespace;
    if (typeof namespace !== 'string' || !namespaces.some((pattern) => matchesPattern(namespace, pattern))) {
      return { field: 'params.namespace', value: typeof namespace === 'string' ? namespace : String(namespace) };
    }
  }
  return null;
}
