import { useEffect, useState } from 'preact/hooks';
import {
  listApiKeys,
  listDeadLetters,
  listExecutionModes,
  listWebhookDeliveries,
  listWebhooks,
  mintApiKey,
  redriveDeadLetter,
  revokeApiKey,
  setActionExecutionMode,
  setLevelExecutionMode,
  type components,
} from '@control-plane/client';
import { describeError, ok, reported } from '../api';
import type { Context } from '../context';
import { when } from '../format';
import { TableHead, Failure, TextField } from './parts';

type Modes = components['schemas']['ExecutionModesResponseDto'];
type Dlq = components['schemas']['DlqEntryDto'];
type Key = components['schemas']['ApiKeyDto'];
type Webhook = components['schemas']['WebhookDto'];
type Delivery = components['schemas']['WebhookDeliveryDto'];

/** One panel's load-and-show: the data, an error, and a reload. */
function useLoad<T>(load: () => Promise<T>): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    load()
      .then((value) => live && (setData(value), setError(null)))
      .catch((failure: unknown) => live && setError(describeError(failure)));
    return () => {
      live = false;
    };
  }, [version]);
  return { data, error, reload: () => setVersion((value) => value + 1) };
}

export function OperatePage({ context }: { context: Context }) {
  return (
    <>
      <h1 tabIndex={-1}>Operate</h1>
      <DeadLetters context={context} />
      <ExecutionModes context={context} />
      <Webhooks context={context} />
      <Keys context={context} />
    </>
  );
}

function DeadLetters({ context }: { context: Context }) {
  const { data, error, reload } = useLoad(() => ok(listDeadLetters(context.client, { params: { query: { limit: 50 } } })));
  const [message, setMessage] = useState<string | null>(null);
  const redrive = async (entry: Dlq) => {
    await reported(setMessage, async () => {
      await ok(redriveDeadLetter(context.client, { params: { path: { id: entry.id } } }));
      setMessage(`Run ${entry.execution_id} goes back to the queue.`);
      reload();
    });
  };
  return (
    <section aria-labelledby="dlq">
      <h2 id="dlq">Dead letters</h2>
      <Failure text={error} />
      {message && <p role="status">{message}</p>}
      {data && data.entries.length === 0 && <p>No dead letter.</p>}
      {data && data.entries.length > 0 && (
        <table aria-label="Dead letters">
          <TableHead columns={['Run', 'Project', 'Attempts', 'Last error', 'Since', 'Action']} />
          <tbody>
            {data.entries.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <a href={`#/runs/${entry.execution_id}`}>{entry.execution_id.slice(0, 8)}</a>
                </td>
                <td>{entry.project_id}</td>
                <td>{entry.attempts}</td>
                <td>{entry.last_error}</td>
                <td>{when(entry.created_at)}</td>
                <td>
                  <button type="button" class="secondary" onClick={() => void redrive(entry)}>
                    Re-drive
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ExecutionModes({ context }: { context: Context }) {
  const { data, error, reload } = useLoad<Modes>(() => ok(listExecutionModes(context.client, {})));
  // What the switch is for: an action type (its code), or an approval level (`level:<n>`).
  const [action, setAction] = useState('');
  const [mode, setMode] = useState<'enabled' | 'record_only' | 'disabled'>('enabled');
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    await reported(setMessage, async () => {
      const body = { mode, reason: reason.trim() };
      const level = /^level:([0-3])$/.exec(action);
      if (level) await ok(setLevelExecutionMode(context.client, { params: { path: { level: Number(level[1]) } }, body }));
      else await ok(setActionExecutionMode(context.client, { params: { path: { action } }, body }));
      setMessage(`${level ? `Level ${level[1]}` : action} is now ${mode}.`);
      setReason('');
      reload();
    });
  };
  return (
    <section aria-labelledby="modes">
      <h2 id="modes">Execution modes</h2>
      <Failure text={error} />
      {data && (
        <table aria-label="Execution mode of each action">
          <TableHead columns={['Action', 'Level', 'Mode']} />
          <tbody>
            {data.action_types.map((row) => (
              <tr key={row.action}>
                <td>
                  <code>{row.action}</code>
                </td>
                <td>{row.approval_level}</td>
                <td>{row.effective_mode}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && data.modes.length > 0 && (
        <>
          <h3>Switches made</h3>
          <ul>
            {data.modes.map((row) => (
              <li key={`${row.scope}-${row.key}`}>
                {row.scope} <code>{row.key}</code>: {row.mode} since {when(row.changed_at)} ({row.reason})
              </li>
            ))}
          </ul>
        </>
      )}
      <form class="inline" onSubmit={(event) => void submit(event)}>
        <div class="field">
          <label for="mode-action">Action or level</label>
          <select id="mode-action" value={action} required onChange={(event) => setAction((event.target as HTMLSelectElement).value)}>
            <option value="">Choose…</option>
            {[0, 1, 2, 3].map((level) => (
              <option key={`level-${level}`} value={`level:${level}`}>
                every action at level {level}
              </option>
            ))}
            {data?.action_types.map((row) => (
              <option key={row.action} value={row.action}>
                {row.action}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="mode-mode">Mode</label>
          <select id="mode-mode" value={mode} onChange={(event) => setMode((event.target as HTMLSelectElement).value as typeof mode)}>
            <option value="enabled">enabled</option>
            <option value="record_only">record only</option>
            <option value="disabled">disabled</option>
          </select>
        </div>
        <TextField id="mode-reason" label="Reason" required value={reason} onValue={(value) => setReason(value)} />
        <button type="submit" disabled={!action || !reason.trim()}>
          Set mode
        </button>
      </form>
      {message && <p role="status">{message}</p>}
    </section>
  );
}

function Webhooks({ context }: { context: Context }) {
  const [project, setProject] = useState('');
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [deliveries, setDeliveries] = useState<{ hook: Webhook; rows: Delivery[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setDeliveries(null);
    await reported(setError, async () => {
      setHooks((await ok(listWebhooks(context.client, { params: { path: { project_id: project.trim() } } }))).webhooks);
    });
  };
  const show = async (hook: Webhook) => {
    await reported(setError, async () => {
      const answer = await ok(
        listWebhookDeliveries(context.client, {
          params: { path: { project_id: hook.project_id, webhook_id: hook.id }, query: { limit: 25 } },
        }),
      );
      setDeliveries({ hook, rows: answer.deliveries });
    });
  };
  return (
    <section aria-labelledby="webhooks">
      <h2 id="webhooks">Webhook subscriptions</h2>
      <form class="inline" onSubmit={(event) => void load(event)}>
        <TextField id="webhook-project" label="Project" required value={project} onValue={(value) => setProject(value)} />
        <button type="submit" disabled={!project.trim()}>
          Show subscriptions
        </button>
      </form>
      <Failure text={error} />
      {hooks && hooks.length === 0 && <p>No subscription in this project.</p>}
      {hooks && hooks.length > 0 && (
        <ul>
          {hooks.map((hook) => (
            <li key={hook.id}>
              <code>{hook.url}</code> ({hook.status}, {hook.consecutive_failures} failures in a row){' '}
              <button type="button" class="secondary" onClick={() => void show(hook)}>
                Deliveries
              </button>
            </li>
          ))}
        </ul>
      )}
      {deliveries && (
        <table aria-label={`Deliveries to ${deliveries.hook.url}`}>
          <TableHead columns={['Event', 'Status', 'Attempts', 'Last answer', 'When']} />
          <tbody>
            {deliveries.rows.map((row) => (
              <tr key={row.id}>
                <td>{row.event_type}</td>
                <td>{row.status}</td>
                <td>{row.attempts}</td>
                <td>{row.last_status_code ?? row.last_error ?? '—'}</td>
                <td>{when(row.delivered_at ?? row.last_attempt_at ?? row.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Keys({ context }: { context: Context }) {
  const { data, error, reload } = useLoad(() => ok(listApiKeys(context.client, { params: { query: { limit: 100 } } })));
  const [form, setForm] = useState({ name: '', roles: 'requester', projects: '' });
  const [minted, setMinted] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const mint = async (event: Event) => {
    event.preventDefault();
    setMessage(null);
    await reported(setMessage, async () => {
      const key = await ok(
        mintApiKey(context.client, {
          body: {
            name: form.name.trim(),
            roles: form.roles.split(',').map((role) => role.trim()) as never,
            project_ids: form.projects.split(',').map((project) => project.trim()),
          },
        }),
      );
      setMinted(key.key);
      setForm({ name: '', roles: 'requester', projects: '' });
      reload();
    });
  };
  const revoke = async (key: Key) => {
    const reason = prompt(`Why revoke ${key.name}?`);
    if (!reason) return;
    await reported(setMessage, async () => {
      await ok(revokeApiKey(context.client, { params: { path: { id: key.id } }, body: { reason } }));
      setMessage(`${key.name} is revoked.`);
      reload();
    });
  };
  return (
    <section aria-labelledby="keys">
      <h2 id="keys">Principals and keys</h2>
      <form class="inline" onSubmit={(event) => void mint(event)}>
        <TextField id="key-name" label="Name" required value={form.name} onValue={(value) => setForm({ ...form, name: value })} />
        <TextField
          id="key-roles"
          label="Roles (comma-separated)"
          required
          value={form.roles}
          onValue={(value) => setForm({ ...form, roles: value })}
        />
        <TextField
          id="key-projects"
          label="Projects (comma-separated)"
          required
          value={form.projects}
          onValue={(value) => setForm({ ...form, projects: value })}
        />
        <button type="submit">Mint key</button>
      </form>
      {minted && (
        <div class="notice" role="status">
          <p>The new key, shown this once: copy it now.</p>
          <code class="key">{minted}</code>{' '}
          <button type="button" class="secondary" onClick={() => setMinted(null)}>
            I have copied it
          </button>
        </div>
      )}
      {message && <p role="status">{message}</p>}
      <Failure text={error} />
      {data && (
        <table aria-label="API keys">
          <TableHead columns={['Key', 'Principal', 'Grants', 'Last used', 'State']} />
          <tbody>
            {data.keys.map((key) => (
              <tr key={key.id}>
                <td>
                  {key.name} <code>{key.key_prefix}…</code>
                </td>
                <td>{key.principal_name}</td>
                <td>{key.role_grants.join(', ')}</td>
                <td>{when(key.last_used_at)}</td>
                <td>
                  {key.revoked_at ? (
                    `revoked ${when(key.revoked_at)}`
                  ) : (
                    <button type="button" class="secondary" onClick={() => void revoke(key)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
