export * from './audit-event-type';
export * from './audit-event.entity';
export * from './audit-chain';
export * from './audit.service';
export * from './audit-query.service';
export * from './audit-feed.service';
export * from './audit.module';
export * from './dto/audit-event.dto';
