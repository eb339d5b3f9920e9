import { DomainException } from '@lib/common';

export enum StateMachineErrorCode {
  /** A compare-and-set lost to a concurrent change. */
  TransitionConflict = 'transition_conflict',
  /** The axis does not allow the transition. */
  IllegalTransition = 'illegal_transition',
}

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    stateMachine: StateMachineErrorCode;
  }
}

export class StateMachineException extends DomainException<StateMachineErrorCode> {}
