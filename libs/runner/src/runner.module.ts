import { Module } from '@nestjs/common';
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
import { WorkerLoopService } from './worker/worker-loop.service';

/** The execution worker: handlers, secrets, the queue, the executor, the reaper and the loop. */
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
    WorkerLoopService,
  ],
  exports: [HandlerRegistry, SecretResolverService, RunQueueService, RunExecutorService, ReaperService, WorkerLoopService],
})
export class RunnerModule {}
