export * from './grants.exception';
export * from './grant.table';
export * from './grant-status';
export * from './grant.service';
export * from './authorize-build-step.handler';
export * from './grant-reconciler.service';
export * from './grants.module';
