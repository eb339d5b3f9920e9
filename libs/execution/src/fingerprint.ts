import { canonicalHash } from '@lib/common';

/** Targets are a set: duplicates dropped, sorted by UTF-16 code units, so their order never matters. */
export function normalizeTargets(targets: readonly string[]): string[] {
  return [...new Set(targets)].sort();
}

export interface PlanInput {
  readonly action: string;
  readonly params: Record<string, unknown>;
  readonly targets: readonly string[];
}

/** SHA-256 of the RFC 8785 canonical JSON of {action, params, targets (normalized)}. */
export function computeFingerprint(plan: PlanInput): string {
  return canonicalHash({ action: plan.action, params: plan.params, targets: normalizeTargets(plan.targets) });
}
