/**
 * The dispatcher protocol of seed 004, shared by every action handler: `OK`, `SKIP:<reason>`
 * (nothing to do, not an error) or `FAIL:<detail>` (refused, not retryable). A thrown error is
 * a retryable failure.
 */
export type HandlerOutcome = 'OK' | `SKIP:${string}` | `FAIL:${string}`;

export function outcomeKind(outcome: HandlerOutcome): 'ok' | 'skip' | 'fail' {
  if (outcome === 'OK') return 'ok';
  return outcome.startsWith('SKIP:') ? 'skip' : 'fail';
}
