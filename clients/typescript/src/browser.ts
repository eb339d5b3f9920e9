/**
 * The SDK's entry for a browser (the operator console): the typed client, every operation,
 * createRun and followRun. Everything but the worker, which runs in Node (it listens for signals).
 */
export * from './client';
export * from './operations';
export { createRun } from './create-run';
export { createRun as createRunAsGiven } from './operations';
export { followRun, type FollowRunOptions, type RunEvent } from './events';
export { isTerminalRunStatus, TERMINAL_RUN_STATUSES, type RunStatus, type TerminalRunStatus } from './run-status';
export type { components, operations, paths } from './schema';
