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
    params: { ...init.params, header: { ...init.params?.header, 'Idempotency-Key': newIdempotencyKey() } },
  });
}

/**
 * A random UUID (v4): the Web Crypto API's randomUUID where there is one (Node 20+, a browser on
 * https or localhost), else built from getRandomValues, which a page served over plain http has too.
 */
function newIdempotencyKey(): string {
  const webCrypto = globalThis.crypto;
  if (typeof webCrypto.randomUUID === 'function') return webCrypto.randomUUID();
  const bytes = webCrypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
