import { RoutineEntry } from '@lib/database';
import { approvalApprovalsGuard } from './approval.approvals-guard';
import { approvalCountedApprovals } from './approval.counted-approvals';
import { approvalCurrentLane } from './approval.current-lane';
import { approvalDecisionsGuard } from './approval.decisions-guard';
import { approvalPlanChangesGuard } from './approval.plan-changes-guard';
import { approvalGate } from './approval.gate';
import { auditAppend } from './audit.append';
import { auditChainHasEvent } from './audit.chain-has-event';
import { auditRefuseChange } from './audit.refuse-change';
import { executionRunStates } from './execution.run-states';
import { executionRunsGuard } from './execution.runs-guard';
import { executionRunsNotifyCancel } from './execution.runs-notify-cancel';
import { executionRunsNotifyReady } from './execution.runs-notify-ready';
import { executionRunsRefuseDisabled } from './execution.runs-refuse-disabled';
import { executionRunsReleaseLocks } from './execution.runs-release-locks';
import { executionRunsRequireApproval } from './execution.runs-require-approval';
import { executionStepsGuard } from './execution.steps-guard';
import { identityDecisionRefusal } from './identity.decision-refusal';
import { policyExecutionMode } from './policy.execution-mode';
import { identityPrincipalsHold } from './identity.principals-hold';
import { identityPrincipalsActsFor } from './identity.principals-acts-for';
import { identityPrincipalsNameShared } from './identity.principals-name-shared';
import { identityPrincipalCards } from './identity.principal-cards';
import { grantsGrantsGuard } from './grants.grants-guard';
import { notificationsOutboxFill } from './notifications.outbox-fill';
import { notificationsReferencesGuard } from './notifications.references-guard';
import { notificationsWebhookEventType } from './notifications.webhook-event-type';
import { stateMachineStatusTransitions } from './state-machine.status-transitions';

/**
 * Every routine (function, trigger function, view), one file each holding its current
 * definition: edit the file in place, and the runner re-applies it, after the migrations, when
 * its text changed. They are applied in this order, which is their dependency order: a SQL
 * function or a view is checked against what it names when it is created, so what it reads
 * comes before it (a plpgsql function is resolved when it runs, so its place matters less).
 * A migration test keeps this list equal to the files.
 */
export const ROUTINES: readonly RoutineEntry[] = [
  // state machine: the legal transitions every axis table's trigger reads
  stateMachineStatusTransitions,
  // audit: the chain, and what may never change in it
  auditRefuseChange,
  auditAppend,
  auditChainHasEvent,
  // identity and policy: what other rules ask
  policyExecutionMode,
  identityDecisionRefusal,
  identityPrincipalsHold,
  identityPrincipalsActsFor,
  identityPrincipalsNameShared,
  identityPrincipalCards,
  // execution: what it publishes of runs, and the guards of its tables
  executionRunStates,
  executionRunsGuard,
  executionRunsRequireApproval,
  executionRunsNotifyReady,
  executionRunsNotifyCancel,
  executionRunsReleaseLocks,
  executionRunsRefuseDisabled,
  executionStepsGuard,
  // approval: the current lane and the gate read the runs; the count of votes reads who may decide
  approvalCurrentLane,
  approvalGate,
  approvalCountedApprovals,
  approvalApprovalsGuard,
  approvalDecisionsGuard,
  approvalPlanChangesGuard,
  // grants
  grantsGrantsGuard,
  // notifications: the outbox is filled by the statement that appends audit events
  notificationsWebhookEventType,
  notificationsOutboxFill,
  notificationsReferencesGuard,
];
