import { applyDecorators, SetMetadata, Type, UseGuards } from '@nestjs/common';
import { Principal } from '@lib/identity';
import { ApprovalGateGuard, GATE_OPTIONS_KEY, RUN_LOCATOR_KEY } from './approval-gate.guard';

/** Finds the run a request acts on (from its route parameters, or through a grant, ...). */
export interface RunLocator {
  /**
   * The execution run id, or null when the request names nothing that exists. It may answer the
   * request itself by throwing a domain error (404 for a thing the caller may not see), so that
   * the gate never tells a caller about another project's run.
   */
  locate(params: Record<string, string | undefined>, principal: Principal): Promise<string | null>;
}

/**
 * Puts the approval gate in front of a route: the request passes only if the run it acts on
 * has an approved, unexpired approval of its current plan. `locator` is a provider that finds
 * that run; anything else, including an error while checking, is refused (409 approval_required).
 * `afterExecution`: an approval its run has carried out still counts (what the run produced).
 */
export function RequiresApprovedRun(
  locator: Type<RunLocator>,
  options: { afterExecution?: boolean } = {},
): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(RUN_LOCATOR_KEY, locator), SetMetadata(GATE_OPTIONS_KEY, options), UseGuards(ApprovalGateGuard));
}
