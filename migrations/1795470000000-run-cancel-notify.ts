import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cancel is delivered at once: when a run's cancel is requested, the worker that holds it is told
 * by NOTIFY (channel execution_run_cancel, payload the run id) at the commit, instead of at its
 * next heartbeat. The function is created here so the trigger can name it; the routine keeps its
 * current definition.
 */
export class RunCancelNotify1795470000000 implements MigrationInterface {
  name = 'RunCancelNotify1795470000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION execution_runs_notify_cancel() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('execution_run_cancel', NEW.id::text);
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER execution_runs_notify_cancel AFTER UPDATE OF cancel_requested_at ON execution_runs
      FOR EACH ROW WHEN (NEW.cancel_requested_at IS NOT NULL AND OLD.cancel_requested_at IS NULL)
      EXECUTE FUNCTION execution_runs_notify_cancel()`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
