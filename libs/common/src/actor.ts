/**
 * Who is acting, and under which request. Every service command takes one, so the audit event
 * it writes can name the actor and the request without reaching into ambient state.
 */
export interface Actor {
  /** API key id, or `system` for the control plane itself. */
  readonly id: string;
  readonly kind: 'api_key' | 'system';
}

export interface CommandContext {
  readonly actor: Actor;
  readonly requestId: string;
}

export const SYSTEM_ACTOR: Actor = Object.freeze({ id: 'system', kind: 'system' });
