import { Module } from '@nestjs/common';
import { IdentityModule } from '@lib/identity';
import { PolicyModule } from '@lib/policy';
import { ExecutionModule } from '@lib/execution';
import { ApprovalModule } from '@lib/approval';
import { GrantsModule } from '@lib/grants';
import { BuildGrantHandler } from './handlers/build-grant.handler';
import { HandlerRegistry } from './handlers/handler-registry';
import { HttpRequestHandler } from './handlers/http-request.handler';
import { NoopHandler } from './handlers/noop.handler';
import { RemoteHandler } from './handlers/remote.handler';
import { SleepHandler } from './handlers/sleep.handler';
import { ConfigSecretProvider, SECRET_PROVIDER } from './secrets/secret-provider';
import { SecretResolverService } from './secrets/secret-resolver.service';
import { ImmediateRunnerService } from './worker/immediate-runner.service';
import { RunExecutorService } from './worker/run-executor.service';
import { StepRunnerService } from './worker/step-runner.service';
import { RunEnderService } from './worker/run-ender.service';
import { WorkerLoopService } from './worker/worker-loop.service';
import { WorkerProtocolController } from './http/worker-protocol.controller';
import { RemoteClaimService } from './remote/remote-claim.service';
import { RemoteExecutorService } from './remote/remote-executor.service';
import { RunReadySignal } from './remote/run-ready-signal';

/**
 * The execution runtime: handlers, secrets and the executor that carries a claimed run out,
 * step by step, for the worker loop and for immediate mode. The worker loop is in
 * WorkerLoopModule, which only worker processes (and npm start on the embedded database) load.
 */
@Module({
  imports: [IdentityModule, PolicyModule, ExecutionModule, ApprovalModule, GrantsModule],
  providers: [
    NoopHandler,
    SleepHandler,
    HttpRequestHandler,
    BuildGrantHandler,
    RemoteHandler,
    HandlerRegistry,
    { provide: SECRET_PROVIDER, useClass: ConfigSecretProvider },
    SecretResolverService,
    StepRunnerService,
    RunEnderService,
    RunExecutorService,
    ImmediateRunnerService,
  ],
  exports: [HandlerRegistry, RunExecutorService, ImmediateRunnerService, SecretResolverService],
})
export class RunnerModule {}

/** The worker protocol (the API's side of the user's remote workers), on top of the runtime. */
@Module({
  imports: [RunnerModule, IdentityModule, PolicyModule, ExecutionModule, ApprovalModule],
  controllers: [WorkerProtocolController],
  providers: [RemoteClaimService, RemoteExecutorService, RunReadySignal],
  exports: [RemoteClaimService, RemoteExecutorService],
})
export class RemoteWorkersModule {}

/** The worker's claim loop (and reaper ticks), on top of the runtime. */
@Module({
  imports: [RunnerModule, PolicyModule, ExecutionModule, ApprovalModule],
  providers: [WorkerLoopService],
  exports: [WorkerLoopService],
})
export class WorkerLoopModule {}
