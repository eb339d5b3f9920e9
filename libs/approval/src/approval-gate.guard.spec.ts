import { ExecutionContext, Logger } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { ApprovalErrorCode, ApprovalException } from './approval.exception';
import { ApprovalGateGuard } from './approval-gate.guard';
import { ApprovalGateService, GateDecision } from './approval-gate.service';
import type { RunLocator } from './requires-approved-run.decorator';

/** The guard's own logic: whatever goes wrong, it refuses. (The gate's checks run on PostgreSQL in the e2e suite.) */
describe('ApprovalGateGuard fails closed', () => {
  beforeAll(() => Logger.overrideLogger(false));

  const context = {
    getHandler: () => undefined,
    getClass: () => undefined,
    switchToHttp: () => ({ getRequest: () => ({ params: { id: 'x' }, principal: {} }) }),
  } as unknown as ExecutionContext;

  function guard(input: { locator?: RunLocator | null; decision?: () => Promise<GateDecision> }): ApprovalGateGuard {
    class Locator {}
    const reflector = { getAllAndOverride: () => (input.locator === null ? undefined : Locator) } as unknown as Reflector;
    const moduleRef = { get: () => input.locator } as unknown as ModuleRef;
    const gate = { check: input.decision ?? (async () => ({ allowed: false, reason: 'not_approved' })) } as unknown as ApprovalGateService;
    return new ApprovalGateGuard(reflector, moduleRef, gate);
  }

  const refusal = async (subject: ApprovalGateGuard): Promise<Record<string, unknown> | undefined> => {
    try {
      await subject.canActivate(context);
    } catch (error) {
      expect(error).toBeInstanceOf(ApprovalException);
      expect((error as ApprovalException).code).toBe('approval_required');
      return (error as ApprovalException).details;
    }
    throw new Error('the guard let the request through');
  };

  it('lets an allowed run through', async () => {
    const allowed = guard({
      locator: { locate: async () => 'run-1' },
      decision: async () => ({ allowed: true }) as unknown as GateDecision,
    });
    await expect(allowed.canActivate(context)).resolves.toBe(true);
  });

  it('refuses with the gate reason', async () => {
    expect(await refusal(guard({ locator: { locate: async () => 'run-1' } }))).toEqual({ reason: 'not_approved' });
  });

  it('refuses when the route names no run that exists', async () => {
    expect(await refusal(guard({ locator: { locate: async () => null } }))).toEqual({ reason: 'run_not_found' });
  });

  it('refuses when the route has no locator', async () => {
    expect(await refusal(guard({ locator: null }))).toEqual({ reason: 'gate_error' });
  });

  it('refuses when the locator or the gate throws', async () => {
    expect(await refusal(guard({ locator: { locate: async () => Promise.reject(new Error('db down')) } }))).toEqual({
      reason: 'gate_error',
    });
    expect(
      await refusal(guard({ locator: { locate: async () => 'run-1' }, decision: async () => Promise.reject(new Error('boom')) })),
    ).toEqual({ reason: 'gate_error' });
  });

  it("lets a locator's own answer through (the thing is not there for this caller), and only that", async () => {
    const notFound = new ApprovalException(ApprovalErrorCode.ApprovalMissing, 'no such thing');
    await expect(guard({ locator: { locate: async () => Promise.reject(notFound) } }).canActivate(context)).rejects.toBe(notFound);
  });
});
