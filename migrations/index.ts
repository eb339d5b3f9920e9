import { SchemaPlan } from '@lib/database';
import { Phase1Schema1795329400000 } from './1795329400000-phase1-schema';
import { Governance1795336000000 } from './1795336000000-governance';
import { Execution1795340000000 } from './1795340000000-execution';
import { RunTargetWait1795450000000 } from './1795450000000-run-target-wait';
import { ApprovalTerminalStates1795460000000 } from './1795460000000-approval-terminal-states';
import { RunCancelNotify1795470000000 } from './1795470000000-run-cancel-notify';
import { RunRetention1795480000000 } from './1795480000000-run-retention';
import { approvalApprovalsGuard } from './routines/approval.approvals-guard';
import { approvalCurrentLane } from './routines/approval.current-lane';
import { approvalDecisionsGuard } from './routines/approval.decisions-guard';
import { approvalGate } from './routines/approval.gate';
import { auditAppend } from './routines/audit.append';
import { auditChainHasEvent } from './routines/audit.chain-has-event';
import { auditRefuseChange } from './routines/audit.refuse-change';
import { executionRunStates } from './routines/execution.run-states';
import { executionRunsGuard } from './routines/execution.runs-guard';
import { executionRunsNotifyReady } from './routines/execution.runs-notify-ready';
import { executionRunsNotifyCancel } from './routines/execution.runs-notify-cancel';
import { executionRunsRequireApproval } from './routines/execution.runs-require-approval';
import { executionStepsGuard } from './routines/execution.steps-guard';
import { grantsGrantsGuard } from './routines/grants.grants-guard';

/**
 * The schema, forward only. Migrations (oldest first) are frozen once they land: the runner
 * checksums the SQL each one sends and refuses to start when a recorded one differs. Routines
 * hold the one current definition of every function and view; they are re-applied after the
 * migrations whenever their text changes. A migration test keeps both lists equal to the files.
 */
export const SCHEMA: SchemaPlan = {
  migrations: [
    { file: '1795329400000-phase1-schema.ts', migration: Phase1Schema1795329400000 },
    { file: '1795336000000-governance.ts', migration: Governance1795336000000 },
    { file: '1795340000000-execution.ts', migration: Execution1795340000000 },
    { file: '1795450000000-run-target-wait.ts', migration: RunTargetWait1795450000000 },
    { file: '1795460000000-approval-terminal-states.ts', migration: ApprovalTerminalStates1795460000000 },
    { file: '1795470000000-run-cancel-notify.ts', migration: RunCancelNotify1795470000000 },
    { file: '1795480000000-run-retention.ts', migration: RunRetention1795480000000 },
  ],
  routines: [
    auditRefuseChange,
    auditAppend,
    auditChainHasEvent,
    executionRunStates,
    executionRunsGuard,
    executionRunsRequireApproval,
    executionRunsNotifyReady,
    executionRunsNotifyCancel,
    executionStepsGuard,
    approvalCurrentLane,
    approvalGate,
    approvalApprovalsGuard,
    approvalDecisionsGuard,
    grantsGrantsGuard,
  ],
};
