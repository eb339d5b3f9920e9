import { ExecutionRunRow } from './execution-run.entity';

/**
 * The port through which a run of an `immediate` action type (read-only, level 0) is carried out
 * inside its create request. The runner lib implements it; execution never imports the runner.
 */
export interface ImmediateRunner {
  /** Runs the approved run now (capped at a few seconds) and returns it as it ended, or as it was if it could not start. */
  run(run: ExecutionRunRow): Promise<ExecutionRunRow>;
}

export const IMMEDIATE_RUNNER = Symbol('IMMEDIATE_RUNNER');
