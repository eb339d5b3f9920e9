/**
 * Who is acting, and under which request. Every service command takes one, so the audit event
 * it writes can name the actor and the request without reaching into ambient state.
 */
export interface Actor {
  /** The principal's id, or `system` (or `worker:<id>`, `reaper:<id>`) for the control plane itself. */
  readonly id: string;
  readonly kind: 'person' | 'service' | 'agent' | 'system';
  /** The credential used: `api_key:<id>`, or `oidc:<token id>` for a token from the identity provider. */
  readonly credential?: string;
  /** For an agent: the person it acts for (who answers for what it asks), recorded on the runs it requests. */
  readonly actsFor?: string;
}

export interface CommandContext {
  readonly actor: Actor;
  readonly requestId: string;
}

export const SYSTEM_ACTOR: Actor = Object.freeze({ id: 'system', kind: 'system' });
