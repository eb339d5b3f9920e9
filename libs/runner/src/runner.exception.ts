import { DomainException } from '@lib/common';

/** The refusals of the worker protocol (remote workers claiming runs and reporting their steps). */
export enum RunnerErrorCode {
  /** The lease token is not this worker's lease of the run any more (expired, taken over, ended): nothing was written. */
  LeaseLost = 'lease_lost',
  /** A step that is not the one running under this lease (never handed out, or one before it). */
  StepNotCurrent = 'step_not_current',
  /** This step was reported already, with another result. */
  StepAlreadyReported = 'step_already_reported',
  /** The run ran out of time before the result came: it ended TIMED_OUT and the result is not taken. */
  RunTimedOut = 'run_timed_out',
  /** The action is carried out by this project's own handlers, not by remote workers. */
  ActionNotRemote = 'action_not_remote',
  /** A step's result (or progress) is bigger than the cap. */
  ResultTooLarge = 'result_too_large',
}

export const RUNNER_ERROR_STATUS: Readonly<Record<RunnerErrorCode, number>> = {
  [RunnerErrorCode.LeaseLost]: 409,
  [RunnerErrorCode.StepNotCurrent]: 409,
  [RunnerErrorCode.StepAlreadyReported]: 409,
  [RunnerErrorCode.RunTimedOut]: 409,
  [RunnerErrorCode.ActionNotRemote]: 422,
  [RunnerErrorCode.ResultTooLarge]: 413,
};

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    runner: RunnerErrorCode;
  }
}

export class RunnerException extends DomainException<RunnerErrorCode> {}
