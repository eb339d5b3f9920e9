import { Injectable } from '@nestjs/common';
import { ActionHandler, PlannedStep, StepContext, StepOutcome } from '@lib/execution';
import { ApprovalLaneService } from '@lib/approval';
import { AUTHORIZE_BUILD_STEP, AuthorizeBuildStepHandler, authCodeFor } from '@lib/grants';

/**
 * Seed 004's handler, dispatched like any other. It is idempotent, so running it here after the
 * approval's own after-commit call answers SKIP:already_minted rather than minting twice.
 */
@Injectable()
export class BuildGrantHandler implements ActionHandler {
  readonly code = AUTHORIZE_BUILD_STEP;

  constructor(
    private readonly grants: AuthorizeBuildStepHandler,
    private readonly lanes: ApprovalLaneService,
  ) {}

  validate(): string | null {
    return null;
  }

  plan(): PlannedStep[] {
    return [{ name: 'authorize_build_step', input: {} }];
  }

  async execute(_step: PlannedStep, ctx: StepContext): Promise<StepOutcome> {
    const approval = await this.lanes.currentRow(ctx.run.id);
    if (!approval) return { outcome: 'FAIL:no_approval' };
    const outcome = await this.grants.handle({ run: ctx.run, approval, actionType: ctx.actionType }, `run:${ctx.run.id}`);
    return { outcome, result: { auth_code: authCodeFor(ctx.run.id) } };
  }
}
