import { Module } from '@nestjs/common';
import { AuditModule } from '@lib/audit';
import { IdentityModule } from '@lib/identity';
import { AuditController } from './audit-trail/audit.controller';
import { AuditTrailService } from './audit-trail/audit-trail.service';
import { ExecutionModeController } from './execution-mode/execution-mode.controller';
import { ExecutionModeRepository } from './execution-mode/execution-mode.repository';
import { ExecutionModeService } from './execution-mode/execution-mode.service';
import { PolicyController } from './policy.controller';
import { PolicyRepository } from './policy.repository';
import { PolicyService } from './policy.service';

/**
 * Policy: the action types (from the policy file, versioned in the database), their scopes,
 * execution modes (enabled, record-only, disabled, per action type and approval level), and who
 * may read the audit trail.
 */
@Module({
  imports: [AuditModule, IdentityModule],
  controllers: [PolicyController, AuditController, ExecutionModeController],
  providers: [PolicyRepository, PolicyService, AuditTrailService, ExecutionModeRepository, ExecutionModeService],
  exports: [PolicyService],
})
export class PolicyModule {}
