import { AckLedger } from './ack-ledger';
import { AuditVerdict } from './audit-chains';
import { Crash } from './crash-log';
import { ApiKillResult } from './faults/api-kill';
import { PostgresRestartResult } from './faults/postgres-restart';
import { WorkerKillResult } from './faults/worker-kill';
import { FuzzResult } from './fuzz/fuzz-campaign';
import { ExchangeSample, HttpRecorder } from './http-recorder';
import { InvariantReport } from './invariant-checks';

/** Everything the campaign measured, gathered for the summary and the JSON line. */
export interface ChaosOutcome {
  readonly seed: number;
  readonly durationS: number;
  readonly recorder: HttpRecorder;
  readonly ledger: AckLedger;
  readonly crashes: readonly Crash[];
  readonly workerKill: WorkerKillResult;
  readonly interruptedNotSucceeded: number;
  readonly apiKill: ApiKillResult;
  readonly postgres: PostgresRestartResult;
  readonly fuzz: FuzzResult;
  readonly unsettled: number;
  readonly invariants: InvariantReport;
  readonly audit: AuditVerdict;
  /** The 5xx samples with what the API logged about each. */
  readonly samples5xx: (ExchangeSample & { api_log?: string[] })[];
  readonly logDir: string | null;
}

/** What makes the campaign fail (exit 1): a loss, a doubling, a crash, an unexpected 5xx, a broken promise. */
export function problemsOf(outcome: ChaosOutcome): string[] {
  const { invariants, recorder, fuzz } = outcome;
  const checks: [boolean, string][] = [
    [invariants.runs_lost > 0, `${invariants.runs_lost} acknowledged run(s) lost`],
    [invariants.acknowledged_writes_lost > 0, `${invariants.acknowledged_writes_lost} acknowledged write(s) lost`],
    [invariants.audit_events_missing > 0, `${invariants.audit_events_missing} acknowledged write(s) without their audit event`],
    [invariants.steps_doubled > 0, `${invariants.steps_doubled} step(s) finished twice`],
    [invariants.succeeded_runs_missing_steps > 0, `${invariants.succeeded_runs_missing_steps} SUCCEEDED run(s) without all their steps`],
    [outcome.crashes.length > 0, `${outcome.crashes.length} process(es) crashed`],
    [recorder.unexpected5xx > 0, `${recorder.unexpected5xx} unexpected 5xx answer(s)`],
    [
      recorder.outageUnexpected > 0,
      `${recorder.outageUnexpected} answer(s) during the outage other than 503 database_unavailable + Retry-After`,
    ],
    [outcome.postgres.seconds_to_recover === null, 'the stack did not recover after the PostgreSQL restart'],
    [invariants.expired_leases > 0, `${invariants.expired_leases} run(s) CLAIMED/RUNNING on an expired lease`],
    [outcome.unsettled > 0, `${outcome.unsettled} approved run(s) not ended after settling`],
    [!outcome.audit.ok, `audit chain broken: ${JSON.stringify(outcome.audit.broken)}`],
    [outcome.ledger.dedupMismatches > 0, `${outcome.ledger.dedupMismatches} repeated create(s) answered with another run`],
    [fuzz.fuzz_auth_bypass > 0, `${fuzz.fuzz_auth_bypass} request(s) without a valid key answered 2xx`],
  ];
  return checks.filter(([failed]) => failed).map(([, message]) => message);
}

/** What deserves a look but breaks none of the campaign's rules (no exit 1). */
export function findingsOf(outcome: ChaosOutcome): string[] {
  const { fuzz, ledger } = outcome;
  const checks: [boolean, string][] = [
    [
      fuzz.fuzz_bad_error_body > 0,
      `${fuzz.fuzz_bad_error_body} fuzz error answer(s) without the one error body (see fuzz_bad_error_body_samples)`,
    ],
    [fuzz.fuzz_no_answer > 0, `${fuzz.fuzz_no_answer} fuzz request(s) got no answer`],
    [ledger.unexpected > 0, `${ledger.unexpected} load answer(s) the load did not expect (see load_notes)`],
    [outcome.interruptedNotSucceeded > 0, `${outcome.interruptedNotSucceeded} run(s) interrupted by the worker kill did not end SUCCEEDED`],
    [fuzz.fuzz_skipped > 0, `${fuzz.fuzz_skipped} fuzz request(s) not sent for want of time`],
  ];
  return checks.filter(([found]) => found).map(([, message]) => message);
}

/** The offending requests and processes, one JSON line each, for stderr. */
export function offendersOf(outcome: ChaosOutcome): string[] {
  const lines = (label: string, items: readonly unknown[]) => items.map((item) => `${label}: ${JSON.stringify(item)}`);
  return [
    ...lines('5xx', outcome.samples5xx),
    ...lines('during the outage', outcome.recorder.outageSamples),
    ...lines('fuzz 5xx', outcome.fuzz.fuzz_5xx_samples),
    ...lines('fuzz', outcome.fuzz.fuzz_other_samples),
    ...lines('fuzz error body', outcome.fuzz.fuzz_bad_error_body_samples),
    ...lines('crash', outcome.crashes),
    ...lines('lost', outcome.invariants.lost_samples),
    ...lines('load', outcome.ledger.notes),
  ];
}

/** The short human part of stdout. */
export function renderSummary(outcome: ChaosOutcome, problems: readonly string[]): string {
  const { recorder, invariants, fuzz } = outcome;
  const lines = [
    `fault campaign (seed ${outcome.seed}, ${outcome.durationS.toFixed(0)} s)`,
    `  load: ${outcome.ledger.creates.size} runs created, ${outcome.ledger.approvals.size} approvals acknowledged; ${recorder.requests} requests in all`,
    `  faults: worker ${outcome.workerKill.killed_worker ?? '-'} killed holding ${outcome.workerKill.runs_interrupted.length} run(s);` +
      ` API back in ${outcome.apiKill.api_restart_seconds.toFixed(1)} s;` +
      ` PostgreSQL down ${outcome.postgres.postgres_down_seconds.toFixed(1)} s, recovered in ${outcome.postgres.seconds_to_recover?.toFixed(2) ?? 'never'} s`,
    `  runs_lost ${invariants.runs_lost}, acknowledged_writes_lost ${invariants.acknowledged_writes_lost}, steps_doubled ${invariants.steps_doubled}` +
      ` (steps re-run after a kill: ${invariants.steps_rerun})`,
    `  http_5xx ${recorder.unexpected5xx}, http_503 ${recorder.http503}, crashes ${outcome.crashes.length}, fuzz ${fuzz.fuzz_requests} requests / ${fuzz.fuzz_5xx} 5xx`,
    `  audit chains ${outcome.audit.ok ? 'intact' : 'BROKEN'} (${outcome.audit.chains} chains, ${outcome.audit.events} events)`,
    problems.length === 0 ? '  verdict: nothing lost, doubled or crashed' : `  verdict: ${problems.length} problem(s):`,
    ...problems.map((problem) => `    - ${problem}`),
    ...findingsOf(outcome).map((finding) => `  note: ${finding}`),
    ...(outcome.logDir ? [`  logs kept in ${outcome.logDir}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** The machine-readable part: one JSON object, the last line of stdout. */
export function renderJson(outcome: ChaosOutcome, problems: readonly string[]): string {
  const { recorder, invariants, fuzz, ledger, audit } = outcome;
  const json = {
    ok: problems.length === 0,
    runs_lost: invariants.runs_lost,
    steps_doubled: invariants.steps_doubled,
    http_5xx: recorder.unexpected5xx,
    http_503: recorder.http503,
    seconds_to_recover: round(outcome.postgres.seconds_to_recover),
    acknowledged_writes_lost: invariants.acknowledged_writes_lost,
    crashes: outcome.crashes.length,
    requests_sent: recorder.requests,
    requests_by_source: recorder.bySource,
    runs_created: ledger.creates.size,
    approvals_acknowledged: ledger.approvals.size,
    fuzz_requests: fuzz.fuzz_requests,
    fuzz_5xx: fuzz.fuzz_5xx,
    fuzz_auth_bypass: fuzz.fuzz_auth_bypass,
    fuzz_bad_error_body: fuzz.fuzz_bad_error_body,
    fuzz_no_answer: fuzz.fuzz_no_answer,
    fuzz_skipped: fuzz.fuzz_skipped,
    audit_verify: { ok: audit.ok, chains: audit.chains, events: audit.events, broken: audit.broken },
    seconds_to_ready: round(outcome.postgres.seconds_to_ready),
    postgres_down_seconds: round(outcome.postgres.postgres_down_seconds),
    api_restart_seconds: round(outcome.apiKill.api_restart_seconds),
    worker_killed: outcome.workerKill.killed_worker,
    runs_interrupted: outcome.workerKill.runs_interrupted.length,
    interrupted_runs_not_succeeded: outcome.interruptedNotSucceeded,
    audit_events_missing: invariants.audit_events_missing,
    steps_rerun: invariants.steps_rerun,
    succeeded_runs_missing_steps: invariants.succeeded_runs_missing_steps,
    expired_leases: invariants.expired_leases,
    runs_unsettled: outcome.unsettled,
    runs_by_status: invariants.runs_by_status,
    http_by_status: recorder.byStatus,
    transport_errors: recorder.transportErrors,
    http_503_outside_outage: recorder.http503OutsideOutage,
    outage_answers: recorder.outageAnswers,
    outage_unexpected: recorder.outageUnexpected,
    dedup_mismatches: ledger.dedupMismatches,
    approvals_landed_unanswered: ledger.approvalsLandedUnanswered,
    load_unexpected: ledger.unexpected,
    load_notes: ledger.notes,
    lost_samples: invariants.lost_samples,
    http_5xx_samples: outcome.samples5xx,
    outage_samples: recorder.outageSamples,
    fuzz_5xx_samples: fuzz.fuzz_5xx_samples,
    fuzz_bad_error_body_samples: fuzz.fuzz_bad_error_body_samples,
    fuzz_other_samples: fuzz.fuzz_other_samples,
    fuzz_by_status: fuzz.fuzz_by_status,
    crash_details: outcome.crashes,
    problems,
    findings: findingsOf(outcome),
    seed: outcome.seed,
    duration_seconds: round(outcome.durationS),
    logs: outcome.logDir,
  };
  return `${JSON.stringify(json)}\n`;
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 100) / 100;
}
