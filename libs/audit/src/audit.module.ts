import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEventEntity } from './audit-event.entity';
import { AuditFeedService } from './audit-feed.service';
import { AuditQueryService } from './audit-query.service';
import { AuditService } from './audit.service';

@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity])],
  providers: [AuditService, AuditQueryService, AuditFeedService],
  exports: [AuditService, AuditQueryService, AuditFeedService],
})
export class AuditModule {}
