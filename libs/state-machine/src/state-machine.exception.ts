import { DomainException } from '@lib/common';

export enum StateMachineErrorCode {
  /** A compare-and-set lost to a concurrent change. */
  TransitionConflict = 'transition_conflict',
  /** The axis does not allow the transition. */
  IllegalTransition = 'illegal_transition',
}

/**
 * The HTTP status each code is answered with, beside the codes: a new code without one fails to
 * compile. The API's error filter reads every lib's table.
 */
export const STATE_MACHINE_ERROR_STATUS: Readonly<Record<StateMachineErrorCode, number>> = {
  [StateMachineErrorCode.TransitionConflict]: 409,
  [StateMachineErrorCode.IllegalTransition]: 409,
};

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    stateMachine: StateMachineErrorCode;
  }
}

export class StateMachineException extends DomainException<StateMachineErrorCode> {}
