import { Test } from '@nestjs/testing';
import { Type } from '@nestjs/common';
import { ConfigModule } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import { AuditModule } from '@lib/audit';
import { StateMachineModule } from '@lib/state-machine';
import { IdentityModule } from '@lib/identity';
import { PolicyModule } from '@lib/policy';
import { ExecutionModule, ExecutionRunService } from '@lib/execution';
import { ApprovalModule, ApprovalVoteService } from '@lib/approval';
import { GrantsModule } from '@lib/grants';
import { RunnerModule } from '@lib/runner';
import { SweeperModule } from '@lib/sweeper';
import { OrchestrationModule } from '@lib/orchestration';

/** Each domain module can be built alone, on the infrastructure only: no port waits for a global module to fill it. */
describe('each module builds alone', () => {
  it.each<[string, Type<unknown>]>([
    ['AuditModule', AuditModule],
    ['StateMachineModule', StateMachineModule],
    ['IdentityModule', IdentityModule],
    ['PolicyModule', PolicyModule],
    ['ExecutionModule', ExecutionModule],
    ['ApprovalModule', ApprovalModule],
    ['GrantsModule', GrantsModule],
    ['RunnerModule', RunnerModule],
    ['SweeperModule', SweeperModule],
    ['OrchestrationModule', OrchestrationModule],
  ])('%s', async (_name, module) => {
    const built = await Test.createTestingModule({ imports: [ConfigModule.forRoot(), DatabaseModule.forRoot(), module] }).compile();
    try {
      await built.init();
      expect(built.get(module)).toBeInstanceOf(module);
    } finally {
      await built.close();
    }
  });

  it('a module exposes only what it exports: the execution lib alone has no approvals', async () => {
    const built = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(), DatabaseModule.forRoot(), ExecutionModule],
    }).compile();
    try {
      expect(built.get(ExecutionRunService)).toBeInstanceOf(ExecutionRunService);
      expect(() => built.get(ApprovalVoteService)).toThrow();
    } finally {
      await built.close();
    }
  });
});
