import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getCurrentPrincipal, type components } from '@control-plane/client';
import { ApiError, clientFor, describeError, ok, onSessionRefused } from './api';
import { beginSignIn, completeSignIn, type OidcSettings } from './oidc';
import { clearSession, hasExpired, loadSession, saveSession, type Session } from './session';
import { InboxPage } from './pages/inbox';
import { RunPage } from './pages/run';
import { SearchPage } from './pages/search';
import { OperatePage } from './pages/operate';
import { SignInPage } from './pages/sign-in';
import type { Context } from './context';
import './styles.css';

type Me = components['schemas']['PrincipalDto'];

type Route = { page: 'inbox' } | { page: 'run'; id: string } | { page: 'search' } | { page: 'operate' };

function routeOf(hash: string): Route {
  const run = /^#\/runs\/([0-9a-fA-F-]{36})$/.exec(hash);
  if (run) return { page: 'run', id: run[1].toLowerCase() };
  if (hash === '#/search') return { page: 'search' };
  if (hash === '#/operate') return { page: 'operate' };
  return { page: 'inbox' };
}

function useRoute(): Route {
  const [route, setRoute] = useState(routeOf(location.hash));
  useEffect(() => {
    const changed = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

async function loadSettings(): Promise<{ oidc: OidcSettings | null }> {
  const response = await fetch('/console/config.json');
  if (!response.ok) return { oidc: null };
  return (await response.json()) as { oidc: OidcSettings | null };
}

function App() {
  const route = useRoute();
  const [oidc, setOidc] = useState<OidcSettings | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [starting, setStarting] = useState(true);
  // The API could not be reached at start: the session is kept, and the page offers to try again.
  const [unreachable, setUnreachable] = useState<string | null>(null);
  const main = useRef<HTMLElement>(null);

  const end = (why: string | null) => {
    clearSession();
    setSession(null);
    setMe(null);
    setNotice(why);
  };

  const begin = async (next: Session) => {
    const client = clientFor(next.credential);
    const who = await ok(getCurrentPrincipal(client, {}));
    saveSession(next);
    setSession(next);
    setMe(who);
    setNotice(null);
  };

  /** A stored session, checked again: only the API refusing it (401) ends it; an API that is away keeps it. */
  const resume = async (stored: Session) => {
    try {
      await begin(stored);
      setUnreachable(null);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401)
        end('Your session has ended (the credential expired or was revoked). Sign in again.');
      else setUnreachable(describeError(error));
    }
  };

  useEffect(() => {
    onSessionRefused(() => end('Your session has ended (the credential expired or was revoked). Sign in again.'));
    void (async () => {
      const settings = await loadSettings().catch(() => ({ oidc: null }));
      setOidc(settings.oidc);
      try {
        const signedIn = await completeSignIn(settings.oidc);
        if (signedIn) {
          await begin({ kind: 'oidc', credential: signedIn.accessToken, expiresAt: signedIn.expiresAt });
          if (signedIn.returnTo) location.hash = signedIn.returnTo;
          return;
        }
        const stored = loadSession();
        if (stored && hasExpired(stored)) end('Your session has expired. Sign in again.');
        else if (stored) await resume(stored);
      } catch (error) {
        end(describeError(error));
      } finally {
        setStarting(false);
      }
    })();
  }, []);

  // An access token that runs out while the page is open ends the session then, not at the next click.
  useEffect(() => {
    if (!session?.expiresAt) return;
    const timer = setInterval(() => {
      if (hasExpired(session)) end('Your session has expired. Sign in again.');
    }, 1000);
    return () => clearInterval(timer);
  }, [session]);

  // After a page change, focus moves to the page's heading (keyboard and screen reader users start there).
  useEffect(() => {
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route, me]);

  if (starting) return <p class="starting">Starting…</p>;
  const held = loadSession();
  if (unreachable && held && !me) {
    return (
      <main id="main" class="sign-in">
        <h1 tabIndex={-1}>The control plane cannot be reached</h1>
        <p role="alert">{unreachable}</p>
        <p>You are still signed in. Try again in a moment.</p>
        <button type="button" onClick={() => void resume(held)}>
          Try again
        </button>{' '}
        <button type="button" class="secondary" onClick={() => end('You signed out.')}>
          Sign out
        </button>
      </main>
    );
  }
  if (!session || !me) {
    return (
      <SignInPage
        notice={notice}
        oidc={oidc}
        onKey={(key) => begin({ kind: 'key', credential: key, expiresAt: null })}
        onSso={() => (oidc ? beginSignIn(oidc, location.hash) : Promise.resolve())}
      />
    );
  }
  const context: Context = { client: clientFor(session.credential), me };
  const isAdmin = me.roles.includes('admin');
  const current = route.page;
  return (
    <>
      <header class="top">
        <a class="skip" href="#main">
          Skip to content
        </a>
        <span class="brand">Control plane</span>
        <nav aria-label="Console">
          <a href="#/inbox" aria-current={current === 'inbox' ? 'page' : undefined}>
            Inbox
          </a>
          <a href="#/search" aria-current={current === 'search' ? 'page' : undefined}>
            Find runs
          </a>
          {isAdmin && (
            <a href="#/operate" aria-current={current === 'operate' ? 'page' : undefined}>
              Operate
            </a>
          )}
        </nav>
        <span class="who" data-testid="who">
          {me.name} ({me.kind})
        </span>
        <button type="button" class="secondary" onClick={() => end('You signed out.')}>
          Sign out
        </button>
      </header>
      <main id="main" ref={main}>
        {route.page === 'inbox' && <InboxPage context={context} />}
        {route.page === 'run' && <RunPage context={context} id={route.id} />}
        {route.page === 'search' && <SearchPage context={context} />}
        {route.page === 'operate' && (isAdmin ? <OperatePage context={context} /> : <p>Only admins operate the plane.</p>)}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
