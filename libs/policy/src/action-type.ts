import { Role } from '@lib/identity';

/**
 * Glossary
 * - action type: the policy for one `action` code: how it is approved, by whom, for how long,
 *   and on which targets it may act.
 * - approval level: 0 read-only (approved by the system at once), 1 one confirmation,
 *   2 plan review (the approval is bound to the plan hash), 3 step by step (enforced per step
 *   at execution).
 * - quorum: `required_approvals` distinct approvers, none of them the requester; one rejection vetoes.
 * - policy hash: SHA-256 of the canonical JSON of the whole policy file, recorded on every
 *   approval it governed.
 * - handler: the registered handler that carries the action out once approved; `immediate`
 *   actions (read-only, level 0) run inside the create request, the rest in the background.
 * - SLA class: with the action code, picks the run's timeout from timeout_policies.
 */
export type ApprovalLevel = 0 | 1 | 2 | 3;

export interface AllowedScopes {
  /** Glob patterns (`*` matches any run of characters) a run's targets must each match. */
  readonly targets: readonly string[];
  /** When present, `params.namespace` must be one of these. */
  readonly namespaces?: readonly string[];
}

export interface ActionType {
  readonly code: string;
  readonly description: string;
  readonly approvalLevel: ApprovalLevel;
  readonly requiredApprovals: number;
  readonly approverRoles: readonly Role[];
  readonly approvalTtlSeconds: number;
  readonly allowedScopes: AllowedScopes;
  readonly mintsGrant: boolean;
  readonly handler: string;
  readonly immediate: boolean;
  readonly maxAttempts: number;
  readonly slaClass: string;
  /** URL patterns (`*` globs) an http.request handler may call for this action. */
  readonly allowedUrls: readonly string[];
}

export interface Policy {
  readonly version: number;
  readonly actionTypes: readonly ActionType[];
  /** SHA-256 of the canonical JSON of `document`. */
  readonly hash: string;
  /** The policy file as written. */
  readonly document: Record<string, unknown>;
}
