import { Injectable } from '@nestjs/common';
import { ActionHandler, PlannedStep, StepContext, StepOutcome } from '@lib/execution';

const MAX_MS = 120_000;
const TICK_MS = 25;
const FAIL_MODES = ['throw', 'fail', 'ignore_abort'] as const;

/**
 * Sleeps `params.ms` per target, one step per target in sorted order, checking for
 * cancellation every few milliseconds. For tests and drills: `fail: "throw"` throws (a retryable
 * failure), `fail: "fail"` answers FAIL:requested, `fail: "ignore_abort"` sleeps without ever
 * checking (a handler that does not respond); `fail_step` limits the failure to one step index.
 */
@Injectable()
export class SleepHandler implements ActionHandler {
  readonly code = 'sleep';

  validate(params: Record<string, unknown>): string | null {
    const ms = params.ms ?? 100;
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_MS) return `params.ms must be an integer 0..${MAX_MS}`;
    if (params.fail !== undefined && !FAIL_MODES.includes(params.fail as (typeof FAIL_MODES)[number]))
      return `params.fail must be one of ${FAIL_MODES.join(', ')}`;
    if (params.fail_step !== undefined && (typeof params.fail_step !== 'number' || !Number.isInteger(params.fail_step)))
      return 'params.fail_step must be an integer';
    return null;
  }

  plan(input: { params: Record<string, unknown>; targets: readonly string[] }): PlannedStep[] {
    const targets = input.targets.length > 0 ? [...input.targets].sort() : ['-'];
    return targets.map((target, index) => ({ name: `sleep:${target}`, input: { ...input.params, target, index } }));
  }

  async execute(step: PlannedStep, ctx: StepContext): Promise<StepOutcome> {
    const ms = typeof step.input.ms === 'number' ? step.input.ms : 100;
    // Logs its whole input, secrets included: the sink is what redacts them.
    ctx.log('sleep step', { input: step.input });
    const failHere = step.input.fail !== undefined && (step.input.fail_step === undefined || step.input.fail_step === step.input.index);
    if (failHere && step.input.fail === 'ignore_abort') {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { outcome: 'OK', result: { slept_ms: ms, ignored_abort: true } };
    }
    const until = Date.now() + ms;
    while (Date.now() < until) {
      ctx.checkpoint();
      await new Promise((resolve) => setTimeout(resolve, Math.min(TICK_MS, until - Date.now())));
    }
    ctx.checkpoint();
    if (failHere && step.input.fail === 'throw') throw new Error(`sleep step ${step.name} failed on purpose`);
    if (failHere && step.input.fail === 'fail') return { outcome: 'FAIL:requested' };
    return { outcome: 'OK', result: { slept_ms: ms, target: step.input.target } };
  }
}
