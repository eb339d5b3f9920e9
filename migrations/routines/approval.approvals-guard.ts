import { RoutineEntry } from '@lib/database';

/**
 * An approval starts pending; its run, lane, plan, quorum and expiry never change; its status
 * moves only along status_transitions; and it is approved only with its quorum of votes that count.
 */
export const approvalApprovalsGuard: RoutineEntry = {
  file: 'approval.approvals-guard.ts',
  owner: 'approval',
  sql: `
    CREATE OR REPLACE FUNCTION approvals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'pending' THEN
          RAISE EXCEPTION 'a new approval must start pending' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF NEW.execution_run_id <> OLD.execution_run_id OR NEW.lane <> OLD.lane OR NEW.plan_hash <> OLD.plan_hash
         OR NEW.required_approvals <> OLD.required_approvals OR NEW.expires_at <> OLD.expires_at THEN
        RAISE EXCEPTION 'an approval''s run, lane, plan, quorum and expiry are immutable' USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT EXISTS (SELECT 1 FROM status_transitions
                       WHERE axis = 'approval' AND from_status = OLD.status AND to_status = NEW.status) THEN
          RAISE EXCEPTION 'illegal approval transition % -> %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
        END IF;
        -- Quorum, in the database: approved only with enough distinct approving votes that count
        -- now (approval_counted_approvals: a vote of a principal disabled since does not).
        IF NEW.status = 'approved' AND approval_counted_approvals(NEW.id) < NEW.required_approvals THEN
          RAISE EXCEPTION 'approval % has not reached its quorum of %', NEW.id, NEW.required_approvals USING ERRCODE = 'check_violation';
        END IF;
      END IF;
      RETURN NEW;
    END $$`,
};
