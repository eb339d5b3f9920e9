export * from './approval.exception';
export * from './approval.entity';
export * from './approval-lane.service';
export * from './approval-decision.service';
export * from './approval.module';
