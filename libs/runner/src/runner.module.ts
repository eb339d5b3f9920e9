import { Global, Module } from '@nestjs/common';
import { AuditModule } from '@lib/audit';
import { GovernanceModule } from '@lib/governance';
import { ExecutionModule } from '@lib/execution';
import { ApprovalModule } from '@lib/approval';
import { GrantsModule } from '@lib/grants';
import { BuildGrantHandler } from './handlers/build-grant.handler';
import { HandlerRegistry } from './handlers/handler-registry';
import { HttpRequestHandler } from './handlers/http-request.handler';
import { NoopHandler } from './handlers/noop.handler';
import { SleepHandler } from './handlers/sleep.handler';
import { EnvSecretProvider, SECRET_PROVIDER } from './secrets/secret-provider';
import { SecretResolverService } from './secrets/secret-resolver.service';
import { ReaperService } from './worker/reaper.service';
import { RunExecutorService } from './worker/run-executor.service';
import { RunLifecycleService } from './worker/run-lifecycle.service';
import { RunQueueService } from './worker/run-queue.service';
import { ImmediateRunnerService } from './worker/immediate-runner.service';
import { WorkerLoopService } from './worker/worker-loop.service';
import { IMMEDIATE_RUNNER } from '@lib/execution';

/**
 * The execution runtime: handlers, secrets, the queue, the executor, the reaper, and the
 * immediate runner. Global only so that the execution lib's IMMEDIATE_RUNNER port is satisfied
 * without execution importing this module. The worker loop is in WorkerLoopModule.
 */
@Global()
@Module({
  imports: [AuditModule, GovernanceModule, ExecutionModule, ApprovalModule, GrantsModule],
  providers: [
    NoopHandler,
    SleepHandler,
    HttpRequestHandler,
    BuildGrantHandler,
    HandlerRegistry,
    { provide: SECRET_PROVIDER, useClass: EnvSecretProvider },
    SecretResolverService,
    RunQueueService,
    RunLifecycleService,
    RunExecutorService,
    ReaperService,
    ImmediateRunnerService,
    { provide: IMMEDIATE_RUNNER, useExisting: ImmediateRunnerService },
  ],
  exports: [
    HandlerRegistry,
    SecretResolverService,
    RunQueueService,
    RunLifecycleService,
    RunExecutorService,
    ReaperService,
    IMMEDIATE_RUNNER,
  ],
})
export class RunnerModule {}

/** The worker's claim loop (and reaper ticks), on top of the runtime. */
@Module({
  imports: [RunnerModule],
  providers: [WorkerLoopService],
  exports: [WorkerLoopService],
})
export class WorkerLoopModule {}
