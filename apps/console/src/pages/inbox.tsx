import { useEffect, useState } from 'preact/hooks';
import { listMyInbox, type components } from '@control-plane/client';
import { describeError, ok } from '../api';
import type { Context } from '../context';
import { nameOf, timeLeft } from '../format';
import { useNow } from './use-now';
import { TableHead, Failure } from './parts';

type Page = components['schemas']['InboxPageDto'];

export function InboxPage({ context }: { context: Context }) {
  const [order, setOrder] = useState<'newest' | 'expiring'>('newest');
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const now = useNow(1000);

  useEffect(() => {
    let live = true;
    ok(listMyInbox(context.client, { params: { query: { order, limit: 100 } } }))
      .then((answer) => live && (setPage(answer), setError(null)))
      .catch((failure: unknown) => live && setError(describeError(failure)));
    // What waits for me changes while I look: read again every 15 s.
    const timer = setTimeout(() => setVersion((value) => value + 1), 15_000);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [order, version]);

  return (
    <>
      <h1 tabIndex={-1}>Waiting for your decision</h1>
      <div class="toolbar">
        <label for="order">Order</label>
        <select id="order" value={order} onChange={(event) => setOrder((event.target as HTMLSelectElement).value as 'newest' | 'expiring')}>
          <option value="newest">Newest first</option>
          <option value="expiring">Soonest to expire first</option>
        </select>
        <button type="button" class="secondary" onClick={() => setVersion((value) => value + 1)}>
          Refresh
        </button>
      </div>
      <Failure text={error} />
      {page && page.runs.length === 0 && <p role="status">Nothing waits for your decision.</p>}
      {page && page.runs.length > 0 && (
        <table class="runs" aria-label="Runs waiting for your decision">
          <TableHead columns={['Action', 'Targets', 'Project', 'Requested by', 'Level', 'Quorum', 'Time left']} />
          <tbody>
            {page.runs.map((run) => (
              <tr key={run.execution_id} data-run={run.execution_id}>
                <td>
                  <a href={`#/runs/${run.execution_id}`}>{run.action}</a>
                </td>
                <td>{run.targets.join(', ') || '—'}</td>
                <td>{run.project_id}</td>
                <td>{nameOf(run.requested_by, page.principals)}</td>
                <td>{run.approval_level}</td>
                <td>{run.approval ? `${run.approval.approvals_received} of ${run.approval.required_approvals}` : '—'}</td>
                <td>{timeLeft(run.approval?.expires_at, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
