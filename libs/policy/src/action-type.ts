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
 * - executor: `in_process` (a built-in handler, in this project's worker processes) or `remote`
 *   (the user's own code, in a worker process of theirs that claims the run over the worker
 *   protocol); a remote action plans the steps its policy entry names, or one step per target.
 * - SLA class: with the action code, picks the run's timeout from timeout_policies.
 */
export type ApprovalLevel = 0 | 1 | 2 | 3;

export type Executor = 'in_process' | 'remote';

/** The handler every remote action type names: its steps are carried out by the user's workers. */
export const REMOTE_HANDLER = 'remote';

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
  readonly executor: Executor;
  /** A remote action's steps, by name, in order (empty: one step per target). */
  readonly steps: readonly string[];
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
