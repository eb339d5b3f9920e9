export * from './handlers/handler-registry';
export * from './secrets/secret-provider';
export * from './secrets/secret-resolver.service';
export * from './worker/run-executor.service';
export * from './worker/immediate-runner.service';
export * from './worker/worker-loop.service';
export * from './runner.module';
