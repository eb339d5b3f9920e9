import { jsonHeaders } from '@tools/harness';
import { LatencyRecorder } from './latency-recorder';

export interface ApprovalScenarioResult {
  readonly flows: number;
  readonly flowsPerS: number;
  readonly failures: number;
  readonly firstFailure: string | null;
  readonly create: Record<50 | 95 | 99, number>;
  readonly vote: Record<50 | 95 | 99, number>;
}

/**
 * The governance path under load: each of `connections` loops creates a `deploy.production` run
 * (quorum 2) and has two approvers vote on it; the second vote closes the approval and moves
 * the run to RUN. Closed loop, bounded by time.
 */
export async function runApprovalScenario(input: {
  baseUrl: string;
  requesterKey: string;
  approverKeys: readonly [string, string];
  connections: number;
  durationS: number;
  keyPrefix: string;
}): Promise<ApprovalScenarioResult> {
  const create = new LatencyRecorder();
  const vote = new LatencyRecorder();
  let flows = 0;
  let failures = 0;
  let firstFailure: string | null = null;
  let sequence = 0;
  const started = Date.now();
  const deadline = started + input.durationS * 1000;

  const timed = async (
    recorder: LatencyRecorder,
    path: string,
    key: string,
    body: string,
    expect: { status: number; runStatus: string },
  ): Promise<{ id: string; planHash: string }> => {
    const begin = performance.now();
    const response = await fetch(`${input.baseUrl}${path}`, {
      method: 'POST',
      headers: jsonHeaders(key),
      body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    recorder.record(performance.now() - begin);
    const parsed = JSON.parse(text) as { execution_id?: string; status?: string; plan_hash?: string };
    if (response.status !== expect.status || parsed.status !== expect.runStatus || !parsed.execution_id) {
      throw new Error(
        `POST ${path} answered ${response.status} ${text.slice(0, 200)} (expected ${expect.status} with status ${expect.runStatus})`,
      );
    }
    return { id: parsed.execution_id, planHash: parsed.plan_hash ?? '' };
  };

  const loop = async (): Promise<void> => {
    while (Date.now() < deadline) {
      try {
        const body = JSON.stringify({
          project_id: 'bench',
          idempotency_key: `${input.keyPrefix}-${sequence++}`,
          action: 'deploy.production',
          targets: ['prod-web-1'],
        });
        const { id, planHash } = await timed(create, '/api/v1/execution/run', input.requesterKey, body, {
          status: 201,
          runStatus: 'BLOCKED',
        });
        // Each approver names the plan it was shown (required at level 3).
        const seen = JSON.stringify({ plan_hash: planHash });
        await timed(vote, `/approvals/${id}/approve`, input.approverKeys[0], seen, { status: 200, runStatus: 'BLOCKED' });
        await timed(vote, `/approvals/${id}/approve`, input.approverKeys[1], seen, { status: 200, runStatus: 'RUN' });
        flows++;
      } catch (error) {
        failures++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: input.connections }, () => loop()));
  const elapsedS = (Date.now() - started) / 1000;
  return {
    flows,
    flowsPerS: flows / elapsedS,
    failures,
    firstFailure,
    create: create.percentiles([50, 95, 99] as const),
    vote: vote.percentiles([50, 95, 99] as const),
  };
}
