export * from './grants.exception';
export * from './grant.entity';
export * from './grant.service';
export * from './authorize-build-step.handler';
export * from './grant-reconciler.service';
export * from './grants.module';
