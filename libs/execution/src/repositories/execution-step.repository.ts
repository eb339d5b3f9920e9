import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { EXECUTION_STEPS_TABLE, ExecutionStepRow } from '../execution.tables';

const T = EXECUTION_STEPS_TABLE.name;

/** The execution lib's SQL for execution_steps (status changes go through the state machine's STEP_AXIS). */
@Injectable()
export class ExecutionStepRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** New running steps, in order; the database allows each only to the worker holding its run's lease. */
  async insertMany(
    steps: ReadonlyArray<{ runId: string; index: number; name: string; attempt: number; workerId: string }>,
  ): Promise<string[]> {
    const rows = await this.uow.query<{ id: string; n: string }>(
      `INSERT INTO ${T} (execution_run_id, step_index, name, attempt, worker_id)
       SELECT s.run_id, s.step_index, s.name, s.attempt, s.worker_id
       FROM unnest($1::uuid[], $2::int4[], $3::text[], $4::int4[], $5::text[]) WITH ORDINALITY AS s(run_id, step_index, name, attempt, worker_id, n)
       ORDER BY s.n
       RETURNING id::text AS id, execution_run_id::text || ':' || step_index AS n`,
      [
        steps.map((step) => step.runId),
        steps.map((step) => step.index),
        steps.map((step) => step.name),
        steps.map((step) => step.attempt),
        steps.map((step) => step.workerId),
      ],
    );
    const byStep = new Map(rows.map((row) => [row.n, row.id]));
    return steps.map((step) => byStep.get(`${step.runId}:${step.index}`) as string);
  }

  /** Steps that succeeded or were skipped, by index, with their results: they never run again. */
  async finished(runId: string): Promise<Map<number, unknown>> {
    const rows = await this.uow.query<{ step_index: number; result: unknown }>(
      `SELECT step_index, result FROM ${T} WHERE execution_run_id = $1 AND status IN ('succeeded', 'skipped')`,
      [runId],
    );
    return new Map(rows.map((row) => [row.step_index, row.result]));
  }

  async running(runId: string): Promise<{ id: string; step_index: number } | null> {
    const rows = await this.uow.query<{ id: string; step_index: number }>(
      `SELECT id::text AS id, step_index FROM ${T} WHERE execution_run_id = $1 AND status = 'running'`,
      [runId],
    );
    return rows[0] ?? null;
  }

  /** The step of this attempt at this index, as written. */
  async ofAttempt(runId: string, index: number, attempt: number): Promise<ExecutionStepRow | null> {
    const rows = await this.uow.query<ExecutionStepRow>(
      `SELECT * FROM ${T} WHERE execution_run_id = $1 AND step_index = $2 AND attempt = $3`,
      [runId, index, attempt],
    );
    return rows[0] ?? null;
  }
}
