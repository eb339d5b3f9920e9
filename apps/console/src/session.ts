/**
 * The signed-in session: the credential (an API key, or an access token from the identity
 * provider), held in this tab's session storage only (gone when the tab closes, never in a
 * URL, a cookie or local storage), and when it stops working.
 */
export interface Session {
  readonly kind: 'key' | 'oidc';
  readonly credential: string;
  /** When the credential expires (an access token's exp), ISO 8601; null: not known (a key). */
  readonly expiresAt: string | null;
}

const SESSION = 'control-plane.session';

export function loadSession(): Session | null {
  try {
    const text = sessionStorage.getItem(SESSION);
    if (!text) return null;
    const value = JSON.parse(text) as Partial<Session>;
    if ((value.kind !== 'key' && value.kind !== 'oidc') || typeof value.credential !== 'string') return null;
    return { kind: value.kind, credential: value.credential, expiresAt: typeof value.expiresAt === 'string' ? value.expiresAt : null };
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(SESSION, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(SESSION);
}

/** Whether the session's credential has run out by now (with a few seconds to spare). */
export function hasExpired(session: Session, now = Date.now()): boolean {
  return session.expiresAt !== null && Date.parse(session.expiresAt) - 5_000 <= now;
}
