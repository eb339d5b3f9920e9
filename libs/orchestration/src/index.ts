export * from './run-request.service';
export * from './run-decision.service';
export * from './run-control.service';
export * from './run-query.service';
export * from './orchestration.module';
