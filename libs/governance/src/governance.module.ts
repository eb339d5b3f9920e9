import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@lib/audit';
import { AccessService } from './access.service';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyService } from './api-key.service';
import { ApiKeysController } from './api-keys.controller';
import { AuthGuard } from './auth.guard';
import { GovernanceController } from './governance.controller';
import { PolicyService } from './policy/policy.service';
import { AuditController } from './audit-trail/audit.controller';
import { AuditTrailService } from './audit-trail/audit-trail.service';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity]), AuditModule],
  controllers: [ApiKeysController, GovernanceController, AuditController],
  providers: [AccessService, ApiKeyService, AuthGuard, PolicyService, AuditTrailService],
  exports: [AccessService, ApiKeyService, AuthGuard, PolicyService],
})
export class GovernanceModule {}
