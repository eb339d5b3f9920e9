import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the operator console reads beyond a run's own row:
 * - searching runs (GET /api/v1/execution/runs): a project's runs newest first, paged by
 *   (created_at, id); columns that never change once a run is written, so run updates stay HOT;
 * - run_plan_changes: the plan each change of a run's plan replaced (its params and targets as
 *   they were), for a reviewer's diff. Append-only (routines/approval.plan-changes-guard.ts),
 *   gone with its run when the run is purged, unlike the audit trail, which records the hashes
 *   and never the params.
 */
export class Console1795570000000 implements MigrationInterface {
  name = 'Console1795570000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`CREATE INDEX execution_runs_project_recent ON execution_runs (project_id, created_at DESC, id DESC)`);
    await q(`
      CREATE TABLE run_plan_changes (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        execution_run_id uuid NOT NULL REFERENCES execution_runs (id) ON DELETE CASCADE,
        old_plan_hash text NOT NULL CHECK (length(old_plan_hash) = 64),
        new_plan_hash text NOT NULL CHECK (length(new_plan_hash) = 64),
        old_params jsonb NOT NULL CHECK (jsonb_typeof(old_params) = 'object'),
        old_targets jsonb NOT NULL CHECK (jsonb_typeof(old_targets) = 'array'),
        changed_by text NOT NULL CHECK (length(changed_by) BETWEEN 1 AND 200),
        changed_at timestamptz NOT NULL DEFAULT now(),
        CHECK (old_plan_hash <> new_plan_hash)
      )`);
    await q(`CREATE INDEX run_plan_changes_run ON run_plan_changes (execution_run_id, id)`);
    await q(`
      CREATE OR REPLACE FUNCTION run_plan_changes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RETURN NULL;
      END $$`);
    await q(`CREATE TRIGGER run_plan_changes_guard BEFORE INSERT OR UPDATE OR DELETE ON run_plan_changes
             FOR EACH ROW EXECUTE FUNCTION run_plan_changes_guard()`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
