import { ScenarioSpec } from './load-scenario';
import { jsonHeaders } from '@tools/harness';
import { createRunBody } from './run-request';

const RUNS_PATH = '/api/v1/execution/run';

/** Every request a new idempotency key, so each one inserts a run, its approval and an audit event. */
export function createScenario(input: { key: string; keyPrefix: string }): ScenarioSpec {
  // One counter shared by all connections (they run on this one thread), so keys never repeat.
  let sequence = 0;
  return {
    name: 'create',
    expectedStatus: 201,
    request: {
      method: 'POST',
      path: RUNS_PATH,
      headers: jsonHeaders(input.key),
      setupRequest: (request) => ({ ...request, body: createRunBody(`${input.keyPrefix}-${sequence++}`) }),
    },
  };
}

/** One key already used with this same body: every request is answered from the existing run. */
export function dedupScenario(input: { key: string; idempotencyKey: string }): ScenarioSpec {
  return {
    name: 'dedup',
    expectedStatus: 200,
    request: { method: 'POST', path: RUNS_PATH, headers: jsonHeaders(input.key), body: createRunBody(input.idempotencyKey) },
    verifyBody: (body) => body.includes('"dedup_hit":true'),
  };
}

export function getScenario(input: { key: string; executionId: string }): ScenarioSpec {
  return {
    name: 'get',
    expectedStatus: 200,
    request: { method: 'GET', path: `${RUNS_PATH}/${input.executionId}`, headers: { authorization: `Bearer ${input.key}` } },
  };
}
