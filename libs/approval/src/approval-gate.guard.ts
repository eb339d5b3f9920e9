import { CanActivate, ExecutionContext, Injectable, Logger, Type } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { DomainException } from '@lib/common';
import { AuthenticatedRequest } from '@lib/identity';
import { ApprovalErrorCode, ApprovalException } from './approval.exception';
import { ApprovalGateService, GateRefusal } from './approval-gate.service';
import type { RunLocator } from './requires-approved-run.decorator';

export const RUN_LOCATOR_KEY = 'approval:run-locator';
export const GATE_OPTIONS_KEY = 'approval:gate-options';

/** Fail closed: no locator, no run, any error while checking: refused. */
@Injectable()
export class ApprovalGateGuard implements CanActivate {
  private readonly logger = new Logger(ApprovalGateGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    private readonly gate: ApprovalGateService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    let reason: GateRefusal | 'gate_error';
    let approvalStatus: string | undefined;
    try {
      const locatorType = this.reflector.getAllAndOverride<Type<RunLocator> | undefined>(RUN_LOCATOR_KEY, [
        context.getHandler(),
        context.getClass(),
      ]);
      if (!locatorType) throw new Error('the approval gate has no run locator for this route');
      const locator = this.moduleRef.get(locatorType, { strict: false });
      const request = context.switchToHttp().getRequest<{ params?: Record<string, string | undefined> } & AuthenticatedRequest>();
      if (!request.principal) throw new Error('the approval gate runs after authentication');
      const executionId = await locator.locate(request.params ?? {}, request.principal);
      if (!executionId) {
        reason = 'run_not_found';
      } else {
        const options = this.reflector.getAllAndOverride<{ afterExecution?: boolean } | undefined>(GATE_OPTIONS_KEY, [
          context.getHandler(),
          context.getClass(),
        ]);
        const decision = await this.gate.check(executionId, options ?? {});
        if (decision.allowed) return true;
        reason = decision.reason;
        approvalStatus = decision.approvalStatus;
      }
    } catch (error) {
      // A locator's own answer (the thing is not there, for this caller) stands; anything else refuses.
      if (error instanceof DomainException) throw error;
      this.logger.error({ err: error }, 'the approval gate failed while checking; refusing');
      reason = 'gate_error';
    }
    throw new ApprovalException(ApprovalErrorCode.ApprovalRequired, `the run's approval does not allow this (${reason})`, {
      reason,
      ...(approvalStatus ? { approval_status: approvalStatus } : {}),
    });
  }
}
