import { Module } from '@nestjs/common';
import { AuditModule } from '@lib/audit';
import { AccessService } from './access.service';
import { AuthGuard } from './auth.guard';
import { GovernanceController } from './governance.controller';
import { ApiKeyRepository } from './identity/api-key.repository';
import { ApiKeyService } from './identity/api-key.service';
import { ApiKeysController } from './identity/api-keys.controller';
import { IdentityService } from './identity/identity.service';
import { OidcVerifierService } from './identity/oidc/oidc-verifier.service';
import { PrincipalRepository } from './identity/principal.repository';
import { PrincipalService } from './identity/principal.service';
import { PrincipalsController } from './identity/principals.controller';
import { PolicyRepository } from './policy/policy.repository';
import { PolicyService } from './policy/policy.service';
import { AuditController } from './audit-trail/audit.controller';
import { AuditTrailService } from './audit-trail/audit-trail.service';
import { ExecutionModeController } from './execution-mode/execution-mode.controller';
import { ExecutionModeRepository } from './execution-mode/execution-mode.repository';
import { ExecutionModeService } from './execution-mode/execution-mode.service';

/**
 * Identity (principals, their API keys, sign-in with the organisation's identity provider, the
 * guard, the access check), the action-type policy, execution modes (enabled, record-only,
 * disabled, per action type and approval level), and who may read the audit trail.
 */
@Module({
  imports: [AuditModule],
  controllers: [ApiKeysController, PrincipalsController, GovernanceController, AuditController, ExecutionModeController],
  providers: [
    AccessService,
    ApiKeyRepository,
    PrincipalRepository,
    ApiKeyService,
    PrincipalService,
    OidcVerifierService,
    IdentityService,
    AuthGuard,
    PolicyRepository,
    PolicyService,
    AuditTrailService,
    ExecutionModeRepository,
    ExecutionModeService,
  ],
  exports: [AccessService, ApiKeyService, PrincipalService, IdentityService, AuthGuard, PolicyService],
})
export class GovernanceModule {}
