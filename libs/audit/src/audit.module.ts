import { Module } from '@nestjs/common';
import { AuditFeedService } from './audit-feed.service';
import { AuditQueryService } from './audit-query.service';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

@Module({
  providers: [AuditRepository, AuditService, AuditQueryService, AuditFeedService],
  exports: [AuditService, AuditQueryService, AuditFeedService],
})
export class AuditModule {}
