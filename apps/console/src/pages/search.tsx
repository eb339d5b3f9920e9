import { useState } from 'preact/hooks';
import { searchRuns, type components } from '@control-plane/client';
import { ok, reported } from '../api';
import type { Context } from '../context';
import { when } from '../format';
import { TableHead, Failure, TextField } from './parts';

type Run = components['schemas']['ExecutionRunResponseDto'];
type Query = Record<string, string>;

const STATUSES = [
  'BLOCKED',
  'RUN',
  'CLAIMED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'CANCELLED',
  'REJECTED',
  'EXPIRED',
  'RECORDED',
];

export function SearchPage({ context }: { context: Context }) {
  const [form, setForm] = useState({ project_id: '', status: '', action: '', requested_by: '', created_from: '', created_before: '' });
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState<Query>({});

  const fetchPage = async (base: Query, before: string | null) => {
    setError(null);
    await reported(setError, async () => {
      const page = await ok(searchRuns(context.client, { params: { query: { ...base, limit: 25, ...(before ? { before } : {}) } } }));
      setRuns((previous) => (before && previous ? [...previous, ...page.runs] : page.runs));
      setNext(page.next_before);
    });
  };
  const submit = (event: Event) => {
    event.preventDefault();
    const built: Record<string, string> = {};
    for (const [key, value] of Object.entries(form)) {
      if (value.trim() === '') continue;
      built[key] = key.startsWith('created_') ? new Date(value).toISOString() : value.trim();
    }
    setQuery(built);
    void fetchPage(built, null);
  };
  const field = (name: keyof typeof form, label: string, type: 'text' | 'datetime-local' = 'text') => (
    <TextField
      id={`search-${name}`}
      label={label}
      type={type}
      value={form[name]}
      onValue={(value) => setForm({ ...form, [name]: value })}
    />
  );
  return (
    <>
      <h1 tabIndex={-1}>Find runs</h1>
      <form class="search" onSubmit={submit}>
        {field('project_id', 'Project')}
        <div class="field">
          <label for="search-status">Status</label>
          <select
            id="search-status"
            value={form.status}
            onChange={(event) => setForm({ ...form, status: (event.target as HTMLSelectElement).value })}
          >
            <option value="">Any</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </div>
        {field('action', 'Action')}
        {field('requested_by', 'Requester (principal id)')}
        {field('created_from', 'Created from', 'datetime-local')}
        {field('created_before', 'Created before', 'datetime-local')}
        <button type="submit">Search</button>
      </form>
      <Failure text={error} />
      {runs && runs.length === 0 && <p role="status">No run matches.</p>}
      {runs && runs.length > 0 && (
        <table class="runs" aria-label="Runs found">
          <TableHead columns={['Created', 'Action', 'Targets', 'Project', 'Status']} />
          <tbody>
            {runs.map((run) => (
              <tr key={run.execution_id}>
                <td>{when(run.created_at)}</td>
                <td>
                  <a href={`#/runs/${run.execution_id}`}>{run.action}</a>
                </td>
                <td>{run.targets.join(', ') || '—'}</td>
                <td>{run.project_id}</td>
                <td>{run.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" class="secondary" onClick={() => void fetchPage(query, next)}>
          More
        </button>
      )}
    </>
  );
}
