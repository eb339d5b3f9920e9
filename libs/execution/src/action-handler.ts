import { ActionType } from '@lib/policy';
import { ExecutionRunRow } from './execution.tables';
import { HandlerOutcome } from './handler-outcome';

/** One unit of a run's work, in the order the handler planned it. */
export interface PlannedStep {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

export interface StepContext {
  readonly run: ExecutionRunRow;
  readonly actionType: ActionType;
  readonly attempt: number;
  /** Aborted when the run is cancelled, times out, or its worker loses the lease. */
  readonly signal: AbortSignal;
  /** A cancellation point: throws if the signal is aborted (and counts the check). */
  checkpoint(): void;
  /** Progress for the run's event stream. */
  progress(data: Record<string, unknown>): Promise<void>;
  /** Logs through the masked sink: every resolved secret is redacted. */
  log(message: string, data?: Record<string, unknown>): void;
}

export interface StepOutcome {
  readonly outcome: HandlerOutcome;
  readonly result?: unknown;
}

/**
 * A handler carries out one kind of action. It validates params, turns {params, targets} into
 * ordered steps (targets in a deterministic order), and executes a step, answering OK,
 * SKIP:<reason> or FAIL:<detail>; a thrown error is a retryable failure. Secrets referenced in
 * params as {"$secret": "name"} arrive resolved in the step's input.
 */
export interface ActionHandler {
  readonly code: string;
  /** What is wrong with these params for this action, or null. */
  validate(params: Record<string, unknown>, actionType: ActionType): string | null;
  plan(input: { params: Record<string, unknown>; targets: readonly string[]; actionType: ActionType }): PlannedStep[];
  execute(step: PlannedStep, ctx: StepContext): Promise<StepOutcome>;
}
