import type { ControlPlaneClient } from './client';
import { createRun as createRunOperation, type OperationInit, type OperationResult } from './operations';

type CreateRunInit = OperationInit<'/api/v1/execution/run', 'post'>;

/**
 * POST /api/v1/execution/run, with an Idempotency-Key set for you when the body names none: a
 * retry of this call (after a 503, or a network error you retry yourself with the same key)
 * finds the run it made instead of making another. The key used is in the answer
 * (`data.idempotency_key`). The key comes from the Web Crypto API, so this runs in Node 20+ and in a browser.
 */
export function createRun(client: ControlPlaneClient, init: CreateRunInit): Promise<OperationResult<'/api/v1/execution/run', 'post'>> {
  const named = init.body?.idempotency_key !== undefined || init.params?.header?.['Idempotency-Key'] !== undefined;
  if (named) return createRunOperation(client, init);
  return createRunOperation(client, {
    ...init,
    params: { ...init.params, header: { ...init.params?.header, 'Idempotency-Key': globalThis.crypto.randomUUID() } },
  });
}
