import { Module } from '@nestjs/common';
import { AuditModule } from '@lib/audit';
import { AccessService } from './access.service';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';
import { ApiKeysController } from './api-keys.controller';
import { AuthGuard } from './auth.guard';
import { IdentityService } from './identity.service';
import { OidcVerifierService } from './oidc/oidc-verifier.service';
import { PrincipalRepository } from './principal.repository';
import { PrincipalService } from './principal.service';
import { PrincipalsController } from './principals.controller';

/**
 * Identity: principals (people and services) and their role grants, API keys, sign-in with the
 * organisation's identity provider, the guard that closes every route, the one access check,
 * and who may decide whose runs (separation of duties).
 */
@Module({
  imports: [AuditModule],
  controllers: [ApiKeysController, PrincipalsController],
  providers: [
    AccessService,
    ApiKeyRepository,
    PrincipalRepository,
    ApiKeyService,
    PrincipalService,
    OidcVerifierService,
    IdentityService,
    AuthGuard,
  ],
  exports: [AccessService, ApiKeyService, PrincipalService, IdentityService, AuthGuard],
})
export class IdentityModule {}
