import { Module } from '@nestjs/common';
import { AuditModule } from '@lib/audit';
import { AccessService } from './access.service';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';
import { ApiKeysController } from './api-keys.controller';
import { AuthGuard } from './auth.guard';
import { GovernanceController } from './governance.controller';
import { PolicyRepository } from './policy/policy.repository';
import { PolicyService } from './policy/policy.service';
import { AuditController } from './audit-trail/audit.controller';
import { AuditTrailService } from './audit-trail/audit-trail.service';

/** Identity (API keys, the guard, the access check), the action-type policy, and who may read the audit trail. */
@Module({
  imports: [AuditModule],
  controllers: [ApiKeysController, GovernanceController, AuditController],
  providers: [AccessService, ApiKeyRepository, ApiKeyService, AuthGuard, PolicyRepository, PolicyService, AuditTrailService],
  exports: [AccessService, ApiKeyService, AuthGuard, PolicyService],
})
export class GovernanceModule {}
