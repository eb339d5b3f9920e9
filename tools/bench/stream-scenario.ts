import { jsonHeaders } from '@tools/harness';
import { LatencyRecorder } from './latency-recorder';

export interface StreamScenarioResult {
  readonly samples: number;
  readonly latency: Record<50 | 99, number>;
}

/**
 * Progress streaming: a client follows a run over server-sent events while the run is approved.
 * The commit happens somewhere inside the approve request, and the event can reach the stream
 * before the request's own answer; so the figure is measured from sending the approve request to
 * the approval.approved event arriving, an upper bound on commit-to-client. One sample at a time.
 */
export async function runStreamScenario(input: {
  baseUrl: string;
  requesterKey: string;
  approverKey: string;
  samples: number;
  keyPrefix: string;
}): Promise<StreamScenarioResult> {
  const recorder = new LatencyRecorder();
  for (let index = 0; index < input.samples; index++) {
    const created = await fetch(`${input.baseUrl}/api/v1/execution/run`, {
      method: 'POST',
      headers: jsonHeaders(input.requesterKey),
      body: JSON.stringify({
        project_id: 'bench-stream',
        idempotency_key: `${input.keyPrefix}-${index}`,
        action: 'deploy',
        targets: ['web-1'],
      }),
    });
    const { execution_id: id, plan_hash: planHash } = (await created.json()) as { execution_id: string; plan_hash: string };
    const controller = new AbortController();
    const stream = await fetch(`${input.baseUrl}/api/v1/execution/run/${id}/stream`, {
      headers: { authorization: `Bearer ${input.requesterKey}` },
      signal: controller.signal,
    });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let seen = '';
    // The stream first replays the trail; wait for that before approving.
    while (!seen.includes('event: approval.requested'))
      seen += decoder.decode((await reader.read()).value ?? new Uint8Array(), { stream: true });
    const sentAt = performance.now();
    const approved = await fetch(`${input.baseUrl}/approvals/${id}/approve`, {
      method: 'POST',
      headers: jsonHeaders(input.approverKey),
      body: JSON.stringify({ plan_hash: planHash }),
    });
    await approved.arrayBuffer();
    while (!seen.includes('event: approval.approved')) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
    }
    recorder.record(performance.now() - sentAt);
    controller.abort();
  }
  return { samples: input.samples, latency: recorder.percentiles([50, 99] as const) };
}
