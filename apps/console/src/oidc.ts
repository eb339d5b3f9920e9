/**
 * Single sign-on in the browser: OAuth 2.0 authorization code with PKCE (RFC 7636, S256) against
 * the configured OIDC issuer, as a public client. The verifier and state live in session storage
 * between the redirect and the callback; the code is taken off the address bar at once.
 */
export interface OidcSettings {
  readonly issuer: string;
  readonly client_id: string;
  readonly audience: string;
}

interface Discovery {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
}

const PENDING = 'control-plane.oidc-pending';

export function redirectUri(): string {
  return `${location.origin}/console/`;
}

function base64Url(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

async function discover(settings: OidcSettings): Promise<Discovery> {
  const response = await fetch(`${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`the identity provider answered ${response.status}`);
  const document = (await response.json()) as Partial<Discovery>;
  if (typeof document.authorization_endpoint !== 'string' || typeof document.token_endpoint !== 'string') {
    throw new Error('the identity provider does not publish an authorization and a token endpoint');
  }
  return { authorization_endpoint: document.authorization_endpoint, token_endpoint: document.token_endpoint };
}

/** Goes to the identity provider's sign-in page; it comes back to /console/ with a code. */
export async function beginSignIn(settings: OidcSettings, returnTo: string): Promise<void> {
  if (!globalThis.isSecureContext || !crypto.subtle) {
    throw new Error('single sign-on needs the console over https (or on localhost): the browser gives PKCE its hash only there');
  }
  const discovery = await discover(settings);
  const verifier = randomText();
  const state = randomText();
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: settings.client_id,
    redirect_uri: redirectUri(),
    scope: 'openid profile',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    audience: settings.audience,
  }).toString();
  location.assign(url.toString());
}

/** The answer of the callback: the access token and when it expires, and the page to go back to. */
export interface SignedIn {
  readonly accessToken: string;
  readonly expiresAt: string | null;
  readonly returnTo: string;
}

/**
 * On the way back from the identity provider: the code in the address bar is removed from it
 * first (whatever happens next), then exchanged with the verifier. Null when this is no callback.
 */
export async function completeSignIn(settings: OidcSettings | null): Promise<SignedIn | null> {
  const query = new URLSearchParams(location.search);
  const code = query.get('code');
  const error = query.get('error');
  if (!code && !error) return null;
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  const pendingText = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  if (error) throw new Error(`the identity provider refused the sign-in: ${error}`);
  if (!settings) throw new Error('single sign-on is not configured');
  const pending = pendingText ? (JSON.parse(pendingText) as { verifier: string; state: string; returnTo: string }) : null;
  if (!pending || pending.state !== query.get('state'))
    throw new Error('this sign-in was not started here (its state does not match): sign in again');
  const discovery = await discover(settings);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: redirectUri(),
      client_id: settings.client_id,
      code_verifier: pending.verifier,
    }).toString(),
  });
  if (!response.ok) throw new Error(`the identity provider refused the code (${response.status}): sign in again`);
  const token = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
  if (typeof token.access_token !== 'string') throw new Error('the identity provider gave no access token');
  const expiresAt = typeof token.expires_in === 'number' ? new Date(Date.now() + token.expires_in * 1000).toISOString() : null;
  return { accessToken: token.access_token, expiresAt, returnTo: pending.returnTo };
}
