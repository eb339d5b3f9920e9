import { createControlPlaneClient, type ControlPlaneOptions } from './client';
import { pause } from './pause';
import { claimRuns, heartbeatRun, reportRunProgress, reportStepResult } from './operations';
import type { components } from './schema';

export type RemoteRun = components['schemas']['RemoteRunDto'];
export type HandedStep = components['schemas']['HandedStepDto'];

/** What a step answers: nothing (OK), or an outcome with a result. A thrown error is a retryable failure. */
export type StepAnswer = void | { readonly outcome?: 'OK' | `SKIP:${string}` | `FAIL:${string}`; readonly result?: unknown };

export interface WorkerStepContext {
  readonly run: RemoteRun;
  /** Fires when the run is cancelled, times out, or its lease is lost, and when the worker shuts down: stop, and return or throw. */
  readonly signal: AbortSignal;
  /** Progress on the run's event stream. */
  progress(data: Record<string, unknown>): Promise<void>;
}

export type StepHandler = (step: HandedStep, ctx: WorkerStepContext) => Promise<StepAnswer>;

export interface WorkerOptions extends Pick<ControlPlaneOptions, 'baseUrl' | 'credential' | 'fetch'> {
  /** The remote action types this worker carries out, each with its handler (called once per step). */
  readonly actions: Readonly<Record<string, StepHandler>>;
  /** Runs carried out at once. 1 by default. */
  readonly concurrency?: number | undefined;
  /** How long one claim waits for work (long-poll), 1..30 s. 20 by default. */
  readonly waitSeconds?: number | undefined;
  /** How long a shutdown lets running steps finish before it hands their runs back. 30 s by default. */
  readonly shutdownGraceMs?: number | undefined;
  /** Stop gracefully on SIGTERM and SIGINT. True by default. */
  readonly handleSignals?: boolean | undefined;
  /** Told of every error the worker recovers from (a claim that failed, a heartbeat that did not get through). */
  readonly onError?: ((error: unknown) => void) | undefined;
}

export interface Worker {
  /** Resolves once the worker has stopped (after stop(), or a signal). */
  readonly done: Promise<void>;
  /** Stops claiming, lets running steps finish (within the grace), hands back what is left. */
  stop(): Promise<void>;
  /** Runs being carried out now. */
  readonly active: number;
}

const SHUTTING_DOWN = 'worker_shutdown';

type ResultBody = {
  lease_token: string;
  outcome?: string;
  result?: unknown;
  error?: string;
  claim_next?: { action_types: string[]; max_runs: number };
};

/**
 * A worker of the control plane's worker protocol: claims runs of its actions (long-poll, up to
 * `concurrency` at once), keeps each lease alive with heartbeats, calls the action's handler for
 * each step with an AbortSignal (cancel, timeout, lost lease, shutdown), and reports each
 * result, which hands it the next step. A result whose answer was lost is sent again (the API
 * answers it the same). When the API is down (503, unreachable) it backs off and tries again.
 */
export function createWorker(options: WorkerOptions): Worker {
  const client = createControlPlaneClient({ baseUrl: options.baseUrl, credential: options.credential, fetch: options.fetch, retries: 2 });
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const waitSeconds = Math.min(30, Math.max(1, Math.floor(options.waitSeconds ?? 20)));
  const graceMs = options.shutdownGraceMs ?? 30_000;
  // Called from timers and promise chains: a reporter that throws must not end the process.
  const onError = (error: unknown): void => {
    try {
      options.onError?.(error);
    } catch {
      // the reporter's own failure has nowhere better to go
    }
  };
  const actionTypes = Object.keys(options.actions);
  if (actionTypes.length === 0) throw new Error('createWorker: name at least one action');
  const running = new Map<string, { shutdown: AbortController; done: Promise<void> }>();
  /** Slots a claim in flight may fill (the loop's, or one asked for with a result). */
  let reserved = 0;
  type Claimed = { lease_token: string; heartbeat_interval_ms: number; runs: RemoteRun[] };
  const stopping = new AbortController();
  let slotFreed: () => void = () => undefined;

  async function loop(): Promise<void> {
    let backoffMs = 0;
    while (!stopping.signal.aborted) {
      const free = concurrency - running.size - reserved;
      if (free <= 0) {
        await new Promise<void>((resolve) => (slotFreed = resolve));
        continue;
      }
      reserved += free;
      try {
        const { data, error, response } = await claimRuns(client, {
          body: { action_types: actionTypes, max_runs: free, wait_seconds: waitSeconds },
          signal: stopping.signal,
        });
        if (!data) throw new Error(`claim answered ${response.status}: ${JSON.stringify(error)}`);
        backoffMs = 0;
        startAll(data);
      } catch (error) {
        if (stopping.signal.aborted) break;
        onError(error);
        backoffMs = Math.min(30_000, Math.max(250, backoffMs * 2));
        await pause(backoffMs * (0.5 + Math.random()), stopping.signal);
      } finally {
        reserved -= free;
      }
    }
  }

  function startAll(claimed: Claimed): void {
    for (const run of claimed.runs) start(run, claimed.lease_token, claimed.heartbeat_interval_ms);
  }

  function start(run: RemoteRun, leaseToken: string, heartbeatMs: number): void {
    const shutdown = new AbortController();
    const done = carry(run, leaseToken, heartbeatMs, shutdown.signal)
      .catch((error: unknown) => {
        onError(error);
        return null;
      })
      .then((next) => {
        running.delete(run.execution_id);
        // The runs its last result claimed take its slot (and those it reserved).
        if (next && !stopping.signal.aborted) startAll(next);
        slotFreed();
      });
    running.set(run.execution_id, { shutdown, done });
  }

  /** Carries a run out; the runs its last result claimed, if any. */
  async function carry(run: RemoteRun, leaseToken: string, heartbeatMs: number, shutdown: AbortSignal): Promise<Claimed | null> {
    const lease = new AbortController();
    const id = run.execution_id;
    const beat = setInterval(() => {
      heartbeatRun(client, { params: { path: { id } }, body: { lease_token: leaseToken } })
        .then(({ data, error }) => {
          if (data?.stop) lease.abort(data.stop);
          else if (error?.error.code === 'lease_lost' || error?.error.code === 'execution_not_found') lease.abort('lease_lost');
        })
        .catch(onError);
    }, heartbeatMs);
    const onShutdown = () => lease.abort(SHUTTING_DOWN);
    shutdown.addEventListener('abort', onShutdown, { once: true });
    try {
      let step: HandedStep | null = run.step;
      while (step && !lease.signal.aborted) {
        const ctx: WorkerStepContext = {
          run,
          signal: lease.signal,
          progress: async (data) => {
            await reportRunProgress(client, { params: { path: { id } }, body: { lease_token: leaseToken, data } });
          },
        };
        const handler = options.actions[run.action];
        let body: ResultBody;
        try {
          const answer = handler ? await handler(step, ctx) : { outcome: `FAIL:this worker has no handler for ${run.action}` as const };
          body = {
            lease_token: leaseToken,
            outcome: answer?.outcome ?? 'OK',
            ...(answer?.result === undefined ? {} : { result: answer.result }),
          };
        } catch (error) {
          body = { lease_token: leaseToken, error: (error instanceof Error ? error.message : String(error)).slice(0, 2000) || 'error' };
        }
        // Cancelled, timed out or lost: the API ended the run or took it back; its result would be refused.
        if (lease.signal.aborted && lease.signal.reason !== SHUTTING_DOWN) return null;
        if (lease.signal.aborted) body = { lease_token: leaseToken, error: 'the worker shut down before the step ended' };
        // Should this result end the run, the same answer brings the next runs: one request per run when busy.
        const free = stopping.signal.aborted ? 0 : concurrency - running.size - reserved + 1;
        if (free > 0) body.claim_next = { action_types: actionTypes, max_runs: free };
        reserved += Math.max(0, free - 1);
        try {
          const answer = await report(id, step.index, body);
          if (answer?.claimed && answer.claimed.runs.length > 0) return answer.claimed;
          step = answer?.next_step ?? null;
        } finally {
          reserved -= Math.max(0, free - 1);
        }
      }
      return null;
    } finally {
      clearInterval(beat);
      shutdown.removeEventListener('abort', onShutdown);
    }
  }

  /** Sends a step's result until it gets an answer (the same result sent again is answered the same); the next step, if any. */
  async function report(
    id: string,
    index: number,
    body: ResultBody,
  ): Promise<{ next_step: HandedStep | null; claimed: Claimed | null } | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { data, error, response } = await reportStepResult(client, { params: { path: { id, index } }, body: body as never });
        if (data) return { next_step: data.next_step ?? null, claimed: data.claimed ?? null };
        if (response.status < 500 || attempt >= 5) {
          onError(new Error(`the result of step ${index} of ${id} was refused: ${response.status} ${JSON.stringify(error)}`));
          return null;
        }
      } catch (error) {
        if (attempt >= 5) throw error;
        onError(error);
      }
      await pause(Math.min(10_000, 200 * 2 ** attempt));
    }
  }

  async function stop(): Promise<void> {
    if (!stopping.signal.aborted) stopping.abort();
    slotFreed();
    const all = [...running.values()];
    const finished = Promise.all(all.map((item) => item.done));
    const timer = setTimeout(() => all.forEach((item) => item.shutdown.abort()), graceMs);
    await finished;
    clearTimeout(timer);
    await done;
  }

  const onSignal = () => void stop().catch(onError);
  if (options.handleSignals ?? true) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  const done = loop()
    .then(() => Promise.all([...running.values()].map((item) => item.done)))
    .then(() => {
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
    });
  return {
    done,
    stop,
    get active() {
      return running.size;
    },
  };
}
