import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The database lets a run's target locks go when the run leaves CLAIMED or RUNNING (ended,
 * paused, back to the queue, cancelled), so no path can forget them and no path pays a statement
 * for it. The function is created here so the trigger can name it; the routine keeps its current
 * definition.
 */
export class RunLockRelease1795495000000 implements MigrationInterface {
  name = 'RunLockRelease1795495000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION execution_runs_release_locks() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM execution_locks WHERE execution_run_id = NEW.id;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER execution_runs_release_locks AFTER UPDATE OF status ON execution_runs
      FOR EACH ROW WHEN (OLD.status IN ('CLAIMED', 'RUNNING') AND NEW.status NOT IN ('CLAIMED', 'RUNNING'))
      EXECUTE FUNCTION execution_runs_release_locks()`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
