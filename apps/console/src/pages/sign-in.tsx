import { useState } from 'preact/hooks';
import { describeError } from '../api';
import type { OidcSettings } from '../oidc';
import { Failure } from './parts';

export function SignInPage(props: {
  notice: string | null;
  oidc: OidcSettings | null;
  onKey: (key: string) => Promise<void>;
  onSso: () => Promise<void>;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.onKey(key.trim());
      setKey('');
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1 tabIndex={-1}>Sign in to the control plane</h1>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      {props.oidc && (
        <section aria-labelledby="sso">
          <h2 id="sso">With your organisation&rsquo;s account</h2>
          <button
            type="button"
            onClick={() => {
              setError(null);
              props.onSso().catch((failure: unknown) => setError(describeError(failure)));
            }}
          >
            Sign in with single sign-on
          </button>
        </section>
      )}
      <section aria-labelledby="with-key">
        <h2 id="with-key">With an API key</h2>
        <form onSubmit={(event) => void submit(event)}>
          <label for="api-key">API key</label>
          <input
            id="api-key"
            type="password"
            autocomplete="off"
            spellcheck={false}
            value={key}
            onInput={(event) => setKey((event.target as HTMLInputElement).value)}
            required
          />
          <p class="hint">The key stays in this tab only, and is forgotten when you sign out or close it.</p>
          <button type="submit" disabled={busy || key.trim() === ''}>
            Sign in
          </button>
        </form>
      </section>
      <Failure text={error} />
    </main>
  );
}
