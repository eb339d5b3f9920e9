import { Injectable } from '@nestjs/common';
import { ActionHandler, PlannedStep, StepOutcome } from '@lib/execution';

/** Does nothing, successfully: for tests and the queue benchmark. */
@Injectable()
export class NoopHandler implements ActionHandler {
  readonly code = 'noop';

  validate(): string | null {
    return null;
  }

  plan(): PlannedStep[] {
    return [{ name: 'noop', input: {} }];
  }

  async execute(): Promise<StepOutcome> {
    return { outcome: 'OK', result: { noop: true } };
  }
}
