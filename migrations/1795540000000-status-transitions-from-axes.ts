import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The legal transitions are written once, in the TypeScript axes: the status_transitions table
 * (filled row by row in five migrations, kept equal to the code by a test) becomes a view that
 * the routine state-machine.status-transitions.ts makes from the axes. The triggers of the axis
 * tables read it as before (by name, when they run).
 */
export class StatusTransitionsFromAxes1795540000000 implements MigrationInterface {
  name = 'StatusTransitionsFromAxes1795540000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE status_transitions`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
