import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Searching runs (the operator console's run list, GET /api/v1/execution/runs): a project's runs
 * newest first, paged by (created_at, id). Columns that never change once a run is written, so
 * the run row's updates stay HOT.
 */
export class RunSearch1795570000000 implements MigrationInterface {
  name = 'RunSearch1795570000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX execution_runs_project_recent ON execution_runs (project_id, created_at DESC, id DESC)`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
