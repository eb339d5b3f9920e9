import { postJson, stringField } from '@tools/harness';

/** The one run the bench creates over and over; only the idempotency key changes. */
export const BENCH_PROJECT = 'bench';
export const BENCH_ACTION = 'deploy';
export const BENCH_PARAMS: Record<string, unknown> = { image: 'web:1.2.3', replicas: 3 };
export const BENCH_TARGETS: readonly string[] = ['web-1', 'web-2'];

export function createRunBody(idempotencyKey: string): string {
  return JSON.stringify({
    project_id: BENCH_PROJECT,
    idempotency_key: idempotencyKey,
    action: BENCH_ACTION,
    params: BENCH_PARAMS,
    targets: BENCH_TARGETS,
  });
}

/** Creates the bench's run once and answers its id. */
export async function createBenchRun(input: { baseUrl: string; key: string; idempotencyKey: string }): Promise<string> {
  const body = await postJson({
    baseUrl: input.baseUrl,
    path: '/api/v1/execution/run',
    key: input.key,
    body: createRunBody(input.idempotencyKey),
    expectStatus: 201,
  });
  return stringField(body, 'execution_id');
}
