import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { EXECUTION_STEPS_TABLE } from '../execution.tables';

const T = EXECUTION_STEPS_TABLE.name;

/** The execution lib's SQL for execution_steps (status changes go through the state machine's STEP_AXIS). */
@Injectable()
export class ExecutionStepRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** A new running step; the database allows it only to the worker holding the run's lease. */
  async insert(input: { runId: string; index: number; name: string; attempt: number; workerId: string }): Promise<string> {
    const [row] = await this.uow.query<{ id: string }>(
      `INSERT INTO ${T} (execution_run_id, step_index, name, attempt, worker_id) VALUES ($1, $2, $3, $4, $5) RETURNING id::text AS id`,
      [input.runId, input.index, input.name, input.attempt, input.workerId],
    );
    return row.id;
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
}
