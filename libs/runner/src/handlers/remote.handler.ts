import { Injectable } from '@nestjs/common';
import { ActionHandler, PlannedStep, StepOutcome } from '@lib/execution';
import { ActionType, REMOTE_HANDLER } from '@lib/policy';

/**
 * The plan of a remote action: the steps its policy entry names, each given the run's params
 * and targets, or one step per target in sorted order (named after the target) when it names
 * none. Its steps are carried out by the user's workers, over the worker protocol: never here.
 */
@Injectable()
export class RemoteHandler implements ActionHandler {
  readonly code = REMOTE_HANDLER;

  validate(): string | null {
    return null;
  }

  plan(input: { params: Record<string, unknown>; targets: readonly string[]; actionType: ActionType }): PlannedStep[] {
    const targets = [...input.targets].sort();
    if (input.actionType.steps.length > 0) {
      return input.actionType.steps.map((name) => ({ name, input: { ...input.params, targets } }));
    }
    const each = targets.length > 0 ? targets : ['-'];
    return each.map((target) => ({ name: target, input: { ...input.params, target } }));
  }

  execute(): Promise<StepOutcome> {
    return Promise.reject(new Error('a remote step is carried out by a remote worker, never in this process'));
  }
}
