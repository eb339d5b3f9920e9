import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { EXECUTION_MODES_TABLE, ExecutionMode, ExecutionModeRow, ExecutionModeScope } from './execution-mode.table';

const T = EXECUTION_MODES_TABLE.name;

/** The governance lib's SQL for execution_modes; the effective mode is execution_mode() in PostgreSQL. */
@Injectable()
export class ExecutionModeRepository {
  constructor(private readonly uow: UnitOfWork) {}

  list(): Promise<ExecutionModeRow[]> {
    return this.uow.query<ExecutionModeRow>(`SELECT * FROM ${T} ORDER BY kind, key`);
  }

  /** The row before the change (null: there was none) and after it, in the caller's transaction; concurrent switches of a key wait for each other. */
  async set(input: {
    scope: ExecutionModeScope;
    key: string;
    mode: ExecutionMode;
    reason: string;
    changedBy: string;
  }): Promise<{ before: ExecutionModeRow | null; after: ExecutionModeRow }> {
    // A row lock cannot order the first two switches of a key (no row yet): a lock on the key does.
    await this.uow.query(`SELECT pg_advisory_xact_lock(hashtextextended('execution_modes:' || $1 || ':' || $2, 0))`, [
      input.scope,
      input.key,
    ]);
    const [before] = await this.uow.query<ExecutionModeRow>(`SELECT * FROM ${T} WHERE kind = $1 AND key = $2`, [input.scope, input.key]);
    const [after] = await this.uow.query<ExecutionModeRow>(
      `INSERT INTO ${T} AS m (kind, key, mode, reason, changed_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (kind, key) DO UPDATE
         SET mode = EXCLUDED.mode, reason = EXCLUDED.reason, changed_by = EXCLUDED.changed_by, changed_at = now(), version = m.version + 1
       RETURNING *`,
      [input.scope, input.key, input.mode, input.reason, input.changedBy],
    );
    return { before: before ?? null, after };
  }

  /** execution_mode() for each (action, level) pair, in the order given. */
  async effective(pairs: ReadonlyArray<{ action: string; level: number }>): Promise<ExecutionMode[]> {
    if (pairs.length === 0) return [];
    const rows = await this.uow.query<{ mode: ExecutionMode }>(
      `SELECT execution_mode(x.action, x.level) AS mode FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS x(action, level, n) ORDER BY x.n`,
      [pairs.map((pair) => pair.action), pairs.map((pair) => pair.level)],
    );
    return rows.map((row) => row.mode);
  }
}
