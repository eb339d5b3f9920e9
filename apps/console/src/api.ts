import { createControlPlaneClient, type ControlPlaneClient } from '@control-plane/client';

/** An answer that is not a success, as the API states it: its status, error code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

let expiredListener: (() => void) | null = null;

/** Called when the API refuses the session's credential (401): the page asks to sign in again. */
export function onSessionRefused(listener: () => void): void {
  expiredListener = listener;
}

export function clientFor(credential: string): ControlPlaneClient {
  return createControlPlaneClient({ baseUrl: location.origin, credential, retries: 2 });
}

interface Answer<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly response: Response;
}

/**
 * The data of a successful answer, or an ApiError with the API's code. A 401 also tells the page
 * that the session no longer works, so it never goes on half signed in.
 */
export async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch {
    throw new ApiError(0, 'network', 'the API cannot be reached: check your connection and try again');
  }
  if (answer.data !== undefined && answer.response.ok) return answer.data;
  const body = (answer.error ?? {}) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
  const code = typeof body.error?.code === 'string' ? body.error.code : `http_${answer.response.status}`;
  const message = typeof body.error?.message === 'string' ? body.error.message : `the API answered ${answer.response.status}`;
  if (answer.response.status === 401) expiredListener?.();
  const details = body.error?.details && typeof body.error.details === 'object' ? (body.error.details as Record<string, unknown>) : {};
  throw new ApiError(answer.response.status, code, message, details);
}

/** A sentence for a failure: the API's own message, or what went wrong. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : 'something went wrong';
}

/** Runs the work; a failure is told to `say` as a sentence instead of being thrown (a page's buttons and forms). */
export async function reported(say: (text: string) => void, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (failure) {
    say(describeError(failure));
  }
}
