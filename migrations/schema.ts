import { SchemaPlan } from '@lib/database';
import { SCHEMA as LANDED_1795480000000 } from './index';
import { QueueSpeed1795490000000 } from './1795490000000-queue-speed';
import { RunLockRelease1795495000000 } from './1795495000000-run-lock-release';
import { Principals1795500000000 } from './1795500000000-principals';
import { Operability1795510000000 } from './1795510000000-operability';
import { PrincipalGrants1795520000000 } from './1795520000000-principal-grants';
import { WebhookSecretGrace1795530000000 } from './1795530000000-webhook-secret-grace';
import { auditAppendOnce } from './routines/audit.append-once';
import { executionRunStatesWithLevel } from './routines/execution.run-states-with-level';
import { executionRunsReleaseLocks } from './routines/execution.runs-release-locks';
import { governanceExecutionMode } from './routines/governance.execution-mode';
import { executionRunsRefuseDisabled } from './routines/execution.runs-refuse-disabled';
import { notificationsWebhookEventType } from './routines/notifications.webhook-event-type';
import { notificationsOutboxFill } from './routines/notifications.outbox-fill';
import { notificationsReferencesGuard } from './routines/notifications.references-guard';
import { governanceDecisionRefusal } from './routines/governance.decision-refusal';
import { approvalDecisionsEligible } from './routines/approval.decisions-eligible';
import { approvalCountedApprovals } from './routines/approval.counted-approvals';

/**
 * The schema plan (`@migrations`): the plan as it landed (index.ts, never edited again, like
 * every file under migrations/ once it has landed), followed by what came after, in order. A
 * routine that changes after it landed is superseded by a new routine file listed later, which
 * replaces the same function or view; the landed one stays as it was, so its checksum holds.
 * A migration test keeps both lists equal to the files.
 */
export const SCHEMA: SchemaPlan = {
  migrations: [
    ...LANDED_1795480000000.migrations,
    { file: '1795490000000-queue-speed.ts', migration: QueueSpeed1795490000000 },
    { file: '1795495000000-run-lock-release.ts', migration: RunLockRelease1795495000000 },
    { file: '1795500000000-principals.ts', migration: Principals1795500000000 },
    { file: '1795510000000-operability.ts', migration: Operability1795510000000 },
    { file: '1795520000000-principal-grants.ts', migration: PrincipalGrants1795520000000 },
    { file: '1795530000000-webhook-secret-grace.ts', migration: WebhookSecretGrace1795530000000 },
  ],
  routines: [
    ...LANDED_1795480000000.routines,
    auditAppendOnce,
    executionRunStatesWithLevel,
    executionRunsReleaseLocks,
    governanceExecutionMode,
    executionRunsRefuseDisabled,
    notificationsWebhookEventType,
    notificationsOutboxFill,
    notificationsReferencesGuard,
    governanceDecisionRefusal,
    approvalDecisionsEligible,
    approvalCountedApprovals,
  ],
};
