import { useEffect, useRef, useState } from 'preact/hooks';
import {
  approveRun,
  cancelRun,
  deferRun,
  getRunReview,
  listRunEvents,
  rejectRun,
  verifyAuditChain,
  type components,
} from '@control-plane/client';
import { ApiError, describeError, ok } from '../api';
import type { Context } from '../context';
import { diffPlans, flatten, nameOf, TERMINAL, timeLeft, when, type Card } from '../format';
import { useNow } from './use-now';
import { TableHead, Failure } from './parts';

type Review = components['schemas']['RunReviewDto'];
type Run = components['schemas']['ExecutionRunResponseDto'];
type AuditEvent = components['schemas']['AuditEventDto'];
type Verify = components['schemas']['VerifyResponseDto'];

/** A plan as a diff compares it. */
interface PlanShown {
  readonly plan_hash: string;
  readonly params: unknown;
  readonly targets: readonly string[];
}

/** The plan a page showed, kept so that a refused decision can show what changed since. */
interface SeenPlan {
  readonly planHash: string;
  readonly params: unknown;
  readonly targets: readonly string[];
}

export function RunPage({ context, id }: { context: Context; id: string }) {
  const [review, setReview] = useState<Review | null>(null);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  // The plan this page showed when it was opened (or when its reader was last asked again): a
  // decision names its hash, so a plan that changed meanwhile is refused, never approved unseen.
  const [seen, setSeen] = useState<SeenPlan | null>(null);
  const [changedSince, setChangedSince] = useState<SeenPlan | null>(null);
  const [status, setStatus] = useState<string>('');
  const last = useRef<string | undefined>(undefined);
  const now = useNow(1000);

  const reload = async () => {
    try {
      const next = await ok(getRunReview(context.client, { params: { path: { execution_id: id } } }));
      setReview(next);
      setSeen((current) => current ?? { planHash: next.run.plan_hash, params: next.run.params, targets: next.run.targets });
      setError(null);
      return next;
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) setMissing(true);
      else setError(describeError(failure));
      return null;
    }
  };

  // The run's trail, followed while the page is open: a long-poll from the last event seen; each
  // new event reads the run again, so status, votes and steps move without reloading the page.
  useEffect(() => {
    let open = true;
    last.current = undefined;
    setEvents([]);
    setReview(null);
    setMissing(false);
    setSeen(null);
    setChangedSince(null);
    void (async () => {
      let run = (await reload())?.run;
      while (open && run) {
        try {
          const answer = await ok(
            listRunEvents(context.client, {
              params: { path: { execution_id: id }, query: { ...(last.current ? { after: last.current } : {}), wait: 20 } },
            }),
          );
          if (!open) return;
          if (answer.events.length > 0) {
            last.current = answer.events[answer.events.length - 1].id;
            setEvents((previous) => [...previous, ...answer.events]);
            run = (await reload())?.run ?? run;
          } else if (TERMINAL.includes(run.status)) {
            return;
          }
        } catch (failure) {
          if (failure instanceof ApiError && (failure.status === 401 || failure.status === 404 || failure.status === 403)) return;
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      }
    })();
    return () => {
      open = false;
    };
  }, [id]);

  if (missing) {
    return (
      <>
        <h1 tabIndex={-1}>Run not found</h1>
        <p role="alert">No run {id} is visible to you: it does not exist, or it is in a project you hold no role on.</p>
        <p>
          <a href="#/inbox">Back to the inbox</a>
        </p>
      </>
    );
  }
  if (!review) {
    return (
      <>
        <h1 tabIndex={-1}>Run {id}</h1>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : (
          <p role="status">Loading…</p>
        )}
      </>
    );
  }
  const { run, principals } = review;
  const approval = run.approval;
  return (
    <>
      <h1 tabIndex={-1}>
        {run.action} <span class="muted">on {run.targets.join(', ') || 'no target'}</span>
      </h1>
      <p class="live" role="status" aria-live="polite" data-testid="run-status">
        Status: <strong class={`status status-${run.status}`}>{run.status}</strong>
        {run.blocked_reason ? ` (${run.blocked_reason.replace(/_/g, ' ')})` : ''}
      </p>
      {status && (
        <p class="notice" role="status">
          {status}
        </p>
      )}
      <Failure text={error} />
      <section aria-labelledby="summary">
        <h2 id="summary">Summary</h2>
        <dl class="facts">
          <dt>Project</dt>
          <dd>{run.project_id}</dd>
          <dt>Requested by</dt>
          <dd data-testid="requester">{nameOf(run.requested_by, principals)}</dd>
          <dt>Requested</dt>
          <dd>{when(run.created_at)}</dd>
          <dt>Approval level</dt>
          <dd>{run.approval_level}</dd>
          <dt>Policy version</dt>
          <dd>
            <code>{(approval?.policy_hash ?? run.policy_hash ?? '—').slice(0, 16)}</code>
          </dd>
          <dt>Plan hash</dt>
          <dd>
            <code data-testid="plan-hash">{run.plan_hash}</code>
          </dd>
          <dt>Run id</dt>
          <dd>
            <code>{run.execution_id}</code>
          </dd>
        </dl>
      </section>
      <PlanView run={run} />
      {seen && seen.planHash !== run.plan_hash && (
        <section aria-labelledby="plan-moved" class="warning" data-testid="plan-moved">
          <h2 id="plan-moved">This plan is not the one this page showed you</h2>
          <p>
            It was changed while the page was open (it showed <code>{seen.planHash.slice(0, 12)}</code>). A decision made now is refused;
            review the difference first.
          </p>
          <Diff before={{ plan_hash: seen.planHash, params: seen.params, targets: seen.targets }} after={run} />
        </section>
      )}
      {changedSince && changedSince.planHash !== run.plan_hash && (
        <section aria-labelledby="changed-since" class="warning" data-testid="changed-since">
          <h2 id="changed-since">The plan changed while you were reading</h2>
          <p>
            Your decision was not recorded. You were shown plan <code>{changedSince.planHash.slice(0, 12)}</code>; the plan is now{' '}
            <code>{run.plan_hash.slice(0, 12)}</code>. Review the difference, then decide again.
          </p>
          <Diff before={{ plan_hash: changedSince.planHash, params: changedSince.params, targets: changedSince.targets }} after={run} />
        </section>
      )}
      {review.replaced_plan && (
        <section aria-labelledby="diff">
          <h2 id="diff">Changed from the previous plan</h2>
          <p>
            The plan approvers were last asked about was <code>{review.replaced_plan.plan_hash.slice(0, 12)}</code>
            {review.plan_changes > 1 ? ` (the plan was changed ${review.plan_changes} times)` : ''}.
          </p>
          <Diff before={review.replaced_plan} after={run} />
        </section>
      )}
      {review.original_plan && (
        <section aria-labelledby="diff-original">
          <h2 id="diff-original">Changed from the plan as first requested</h2>
          <Diff before={review.original_plan} after={run} />
        </section>
      )}
      <ApprovalView review={review} now={now} />
      <DecisionView
        context={context}
        review={review}
        seen={seen ?? { planHash: run.plan_hash, params: run.params, targets: run.targets }}
        onDone={async (message) => {
          setStatus(message);
          await reload();
        }}
        onPlanChanged={async (refused) => {
          setChangedSince(refused);
          setStatus('');
          const next = await reload();
          // Asked again: on the plan as it is now, which the page now shows with its difference.
          if (next) setSeen({ planHash: next.run.plan_hash, params: next.run.params, targets: next.run.targets });
        }}
      />
      {!TERMINAL.includes(run.status) && <CancelView context={context} run={run} onDone={reload} />}
      <StepsView run={run} events={events} />
      <TrailView context={context} run={run} events={events} principals={principals} />
    </>
  );
}

function PlanView({ run }: { run: Run }) {
  const lines = flatten(run.params);
  return (
    <section aria-labelledby="plan">
      <h2 id="plan">The plan, as it will run</h2>
      <dl class="facts">
        <dt>Action</dt>
        <dd>
          <code>{run.action}</code>
        </dd>
        <dt>Targets, in order</dt>
        <dd>
          {run.targets.length === 0 ? (
            'none'
          ) : (
            <ol class="targets">
              {run.targets.map((target) => (
                <li key={target}>
                  <code>{target}</code>
                </li>
              ))}
            </ol>
          )}
        </dd>
      </dl>
      <table class="params" aria-label="Parameters">
        <TableHead columns={['Parameter', 'Value']} />
        <tbody>
          {lines.map((line) => (
            <tr key={line.path}>
              <th scope="row">
                <code>{line.path}</code>
              </th>
              <td class={line.secret ? 'secret' : undefined}>{line.secret ? line.text : <code>{line.text}</code>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Two plans side by side, line by line; never "no difference" for two plans whose hashes differ. */
function Diff({ before, after }: { before: PlanShown; after: PlanShown }) {
  const lines = diffPlans(before, after);
  if (lines.length === 0) {
    return before.plan_hash === after.plan_hash ? (
      <p>No difference in params or targets.</p>
    ) : (
      <p role="alert">
        The plans differ (their hashes do), but not in a way shown line by line here: compare them as JSON before deciding.
      </p>
    );
  }
  return (
    <table class="diff" aria-label="Difference between the plans" data-testid="diff">
      <TableHead columns={['Field', 'Before', 'Now']} />
      <tbody>
        {lines.map((line) => (
          <tr key={line.path}>
            <th scope="row">
              <code>{line.path}</code>
            </th>
            <td class="before">{line.before === null ? <em>absent</em> : <code>{line.before}</code>}</td>
            <td class="after">{line.after === null ? <em>absent</em> : <code>{line.after}</code>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ApprovalView({ review, now }: { review: Review; now: number }) {
  const approval = review.run.approval;
  if (!approval) {
    return (
      <section aria-labelledby="approval">
        <h2 id="approval">Approval</h2>
        <p>This run has no approval.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="approval">
      <h2 id="approval">Approval</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd data-testid="approval-status">{approval.status}</dd>
        <dt>Quorum</dt>
        <dd data-testid="quorum">
          {approval.approvals_received} of {approval.required_approvals}
        </dd>
        <dt>Expires</dt>
        <dd>
          {when(approval.expires_at)} ({timeLeft(approval.expires_at, now)})
        </dd>
        {approval.deferred_until && (
          <>
            <dt>Deferred until</dt>
            <dd>{when(approval.deferred_until)}</dd>
          </>
        )}
        <dt>Who may decide</dt>
        <dd>{review.approver_roles.join(', ') || 'nobody (level 0)'}</dd>
      </dl>
      <h3>Votes</h3>
      {approval.votes.length === 0 ? (
        <p>No votes yet.</p>
      ) : (
        <ul class="votes">
          {approval.votes.map((vote) => (
            <li key={`${vote.principal_id}-${vote.at}`}>
              <strong>{vote.decision}</strong> by {nameOf(vote.principal_id, review.principals)} at {when(vote.at)}
              {vote.reason ? `: “${vote.reason}”` : ''}
            </li>
          ))}
        </ul>
      )}
      {approval.status === 'pending' && (
        <>
          <h3>Others who may decide</h3>
          {review.deciders.length === 0 ? (
            <p>No one else known to the plane (people appear once they have signed in).</p>
          ) : (
            <ul>
              {review.deciders.map((card) => (
                <li key={card.id}>{nameOf(card.id, review.deciders as Card[])}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function DecisionView(props: {
  context: Context;
  review: Review;
  seen: SeenPlan;
  onDone: (message: string) => Promise<void>;
  onPlanChanged: (seen: SeenPlan) => Promise<void>;
}) {
  const { review, context } = props;
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = review.run;
  if (!review.may_decide) {
    if (review.decision_bar?.code === 'not_pending') return null;
    return (
      <section aria-labelledby="decide">
        <h2 id="decide">Decide</h2>
        <p data-testid="decision-bar">You cannot decide this run: {review.decision_bar?.message ?? 'not allowed'}.</p>
      </section>
    );
  }
  // The decision names the plan this page showed: if it changed meanwhile the API refuses it (409 plan_changed).
  const seen = props.seen;
  const decide = async (decision: 'approve' | 'reject' | 'defer') => {
    setError(null);
    if (decision !== 'approve' && reason.trim() === '') return setError(`A reason is required to ${decision}.`);
    if (decision === 'defer' && until === '') return setError('Say until when to defer.');
    if (decision === 'defer' && !(Date.parse(until) > Date.now())) return setError('Defer until a time in the future.');
    setBusy(true);
    try {
      const path = { execution_id: run.execution_id };
      const text = reason.trim();
      if (decision === 'approve') {
        await ok(approveRun(context.client, { params: { path }, body: { plan_hash: seen.planHash, ...(text ? { reason: text } : {}) } }));
      } else if (decision === 'reject') {
        await ok(rejectRun(context.client, { params: { path }, body: { plan_hash: seen.planHash, reason: text } }));
      } else {
        await ok(
          deferRun(context.client, {
            params: { path },
            body: { plan_hash: seen.planHash, reason: text, until: new Date(until).toISOString() },
          }),
        );
      }
      setReason('');
      await props.onDone(
        decision === 'approve'
          ? 'Your approval was recorded.'
          : decision === 'reject'
            ? 'Your rejection was recorded.'
            : 'The run was deferred.',
      );
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'plan_changed') await props.onPlanChanged(seen);
      else setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="decide">
      <h2 id="decide">Decide</h2>
      <p>
        Your decision is for plan <code>{seen.planHash.slice(0, 12)}</code>, exactly as shown above.
      </p>
      <form onSubmit={(event) => (event.preventDefault(), void decide('approve'))}>
        <label for="reason">Reason (required to reject or defer)</label>
        <textarea
          id="reason"
          rows={3}
          maxLength={1000}
          value={reason}
          onInput={(event) => setReason((event.target as HTMLTextAreaElement).value)}
        />
        <label for="until">Defer until</label>
        <input id="until" type="datetime-local" value={until} onInput={(event) => setUntil((event.target as HTMLInputElement).value)} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Approve
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => void decide('reject')}>
            Reject
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={() => void decide('defer')}>
            Defer
          </button>
        </div>
      </form>
      <Failure text={error} />
    </section>
  );
}

function CancelView({ context, run, onDone }: { context: Context; run: Run; onDone: () => Promise<unknown> }) {
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const cancel = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      await ok(cancelRun(context.client, { params: { path: { execution_id: run.execution_id } }, body: { reason: reason.trim() } }));
      setReason('');
      setMessage('Cancellation requested.');
      await onDone();
    } catch (failure) {
      setMessage(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="cancel">
      <h2 id="cancel">Cancel the run</h2>
      <form onSubmit={(event) => void cancel(event)}>
        <label for="cancel-reason">Reason for cancelling</label>
        <input
          id="cancel-reason"
          type="text"
          maxLength={1000}
          value={reason}
          required
          onInput={(event) => setReason((event.target as HTMLInputElement).value)}
        />
        <button type="submit" class="danger" disabled={busy || reason.trim() === ''}>
          Cancel run
        </button>
      </form>
      {message && <p role="status">{message}</p>}
    </section>
  );
}

function StepsView({ run, events }: { run: Run; events: AuditEvent[] }) {
  const steps = events.filter((event) => event.type.startsWith('step.'));
  const execution = run.execution;
  return (
    <section aria-labelledby="steps">
      <h2 id="steps">Execution</h2>
      {execution && (
        <dl class="facts">
          <dt>Attempt</dt>
          <dd>
            {execution.attempt} of {execution.max_attempts}
          </dd>
          <dt>Started</dt>
          <dd>{when(execution.started_at)}</dd>
          <dt>Finished</dt>
          <dd>{when(execution.finished_at)}</dd>
          {execution.last_error && (
            <>
              <dt>Last error</dt>
              <dd>{execution.last_error}</dd>
            </>
          )}
        </dl>
      )}
      {steps.length === 0 ? (
        <p>No step has started.</p>
      ) : (
        <ol class="steps">
          {steps.map((event) => (
            <li key={event.id}>
              {when(event.occurred_at)}: <code>{event.type}</code>
              {typeof event.data.step_index === 'number' ? ` step ${event.data.step_index}` : ''}
              {typeof event.data.status === 'string' ? ` ${event.data.status}` : ''}
              {typeof event.data.message === 'string' ? ` — ${event.data.message}` : ''}
            </li>
          ))}
        </ol>
      )}
      {execution?.result !== undefined && execution?.result !== null && (
        <>
          <h3>Result</h3>
          <pre class="result">{JSON.stringify(execution.result, null, 2)}</pre>
        </>
      )}
    </section>
  );
}

function TrailView({
  context,
  run,
  events,
  principals,
}: {
  context: Context;
  run: Run;
  events: AuditEvent[];
  principals: readonly Card[];
}) {
  const [verify, setVerify] = useState<Verify | null>(null);
  const [error, setError] = useState<string | null>(null);
  const check = async () => {
    setError(null);
    try {
      setVerify(await ok(verifyAuditChain(context.client, { params: { query: { execution_id: run.execution_id } } })));
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <section aria-labelledby="trail">
      <h2 id="trail">Audit trail</h2>
      <button type="button" class="secondary" onClick={() => void check()}>
        Verify the chain
      </button>
      {verify && (
        <p role="status" data-testid="verify">
          {verify.ok ? `Chain verified: ${verify.events} events, no broken link.` : 'The chain is BROKEN: tell your security team.'}
        </p>
      )}
      <Failure text={error} />
      <table class="trail" aria-label="Audit events">
        <TableHead columns={['When', 'Event', 'By']} />
        <tbody>
          {events.map((event) => (
            <tr key={event.id}>
              <td>{when(event.occurred_at)}</td>
              <td>
                <code>{event.type}</code>
              </td>
              <td>{nameOf(event.actor, principals)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
