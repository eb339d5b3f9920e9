export * from './client';
export * from './operations';
export { createRun } from './create-run';
/** createRun exactly as given: no Idempotency-Key added (the header or the body field must name one). */
export { createRun as createRunAsGiven } from './operations';
export { followRun, type FollowRunOptions, type RunEvent } from './events';
export { isTerminalRunStatus, TERMINAL_RUN_STATUSES, type RunStatus, type TerminalRunStatus } from './run-status';
export type { components, operations, paths } from './schema';
export {
  createWorker,
  type Worker,
  type WorkerOptions,
  type StepHandler,
  type StepAnswer,
  type WorkerStepContext,
  type RemoteRun,
  type HandedStep,
} from './worker';
