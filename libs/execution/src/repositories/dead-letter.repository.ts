import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { DlqEntryRow, EXECUTION_DLQ_TABLE } from '../execution.tables';

const T = EXECUTION_DLQ_TABLE.name;

/** The execution lib's SQL for execution_dlq. */
@Injectable()
export class DeadLetterRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(input: { runId: string; projectId: string; attempts: number; lastError: string }): Promise<void> {
    await this.uow.query(`INSERT INTO ${T} (execution_run_id, project_id, attempts, last_error) VALUES ($1, $2, $3, $4)`, [
      input.runId,
      input.projectId,
      input.attempts,
      input.lastError,
    ]);
  }

  /** Newest first; `projectIds` null for every project. */
  list(input: { includeRedriven: boolean; projectIds: readonly string[] | null; limit: number }): Promise<DlqEntryRow[]> {
    return this.uow.query<DlqEntryRow>(
      `SELECT * FROM ${T} WHERE ($1 OR redriven_at IS NULL) AND ($2::text[] IS NULL OR project_id = ANY($2)) ORDER BY created_at DESC LIMIT $3`,
      [input.includeRedriven, input.projectIds, input.limit],
    );
  }

  /** Entries not re-driven, every project (a scrape). */
  async countOpen(): Promise<number> {
    const [row] = await this.uow.query<{ n: string }>(`SELECT count(*) AS n FROM ${T} WHERE redriven_at IS NULL`);
    return Number(row.n);
  }

  async findById(id: string): Promise<DlqEntryRow | null> {
    const rows = await this.uow.query<DlqEntryRow>(`SELECT * FROM ${T} WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Marks an open entry re-driven; null when it already was. */
  async markRedriven(id: string, by: string): Promise<DlqEntryRow | null> {
    const rows = await this.uow.query<DlqEntryRow>(
      `UPDATE ${T} SET redriven_at = now(), redriven_by = $2 WHERE id = $1 AND redriven_at IS NULL RETURNING *`,
      [id, by],
    );
    return rows[0] ?? null;
  }
}
