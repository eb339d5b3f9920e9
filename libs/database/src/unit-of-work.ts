import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ClsService } from 'nestjs-cls';
import { isRetryableTransactionError, PgErrorCode, sqlStateOf } from './pg-errors';

const MAX_ATTEMPTS = 4;
const ATTEMPT = 'unit-of-work.attempt';

/** What one transaction attempt accumulates to write just before it commits. */
interface AttemptState {
  readonly values: Map<symbol, unknown>;
  readonly flushes: Array<() => Promise<void>>;
}

/**
 * Returned (not thrown) by a command that refuses: the transaction commits what it wrote (the
 * audit event of the refusal) and then the error is raised to the caller.
 */
export class Refusal {
  constructor(readonly error: Error) {}
}

/**
 * One transaction per command. Services in every lib take their EntityManager from the same
 * transaction host, so whatever they write inside `run` commits or rolls back together. A
 * serialization failure or deadlock is retried a bounded number of times with a short jittered
 * pause; anything else propagates after rollback.
 */
@Injectable()
export class UnitOfWork {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly cls: ClsService,
  ) {}

  async run<T>(work: () => Promise<T | Refusal>): Promise<T> {
    const result = await this.runInContext(work);
    if (result instanceof Refusal) throw result.error;
    return result;
  }

  private runInContext<T>(work: () => Promise<T>): Promise<T> {
    // The transaction reference lives in the CLS context; a worker or a test calling a service
    // directly has none yet, so one is opened for the command.
    if (!this.cls.isActive()) return this.cls.run(() => this.runWithRetry(work));
    // Inside an open transaction the command joins it; only the outermost one may retry. (A
    // refusal inside a joined transaction is thrown by this `run` and so rolls the outer one back.)
    if (this.txHost.isTransactionActive()) return work();
    return this.runWithRetry(work);
  }

  /**
   * A read that must stay cheap (a metrics scrape): its own transaction, with every statement in
   * it cancelled after `timeoutMs` (SET LOCAL statement_timeout), so a slow scrape never holds a
   * connection for long.
   */
  readBounded<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
    return this.run(async () => {
      await this.query(`SELECT set_config('statement_timeout', $1, true)`, [String(Math.max(1, Math.floor(timeoutMs)))]);
      return work();
    });
  }

  /**
   * State that lives for the current transaction attempt: created on first use, and `flush`
   * (if given) runs once, in the transaction, right before it commits. A retried attempt starts
   * empty. Used to write a command's audit events in one statement.
   */
  local<T>(key: symbol, create: () => T, flush?: (value: T) => Promise<void>): T {
    const attempt = this.cls.get<AttemptState | undefined>(ATTEMPT);
    if (!attempt || !this.txHost.isTransactionActive()) throw new Error('UnitOfWork.local needs an open transaction (call it inside run)');
    if (attempt.values.has(key)) return attempt.values.get(key) as T;
    const value = create();
    attempt.values.set(key, value);
    if (flush) attempt.flushes.push(() => flush(value));
    return value;
  }

  private async runWithRetry<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.txHost.withTransaction(async () => {
          const state: AttemptState = { values: new Map(), flushes: [] };
          this.cls.set(ATTEMPT, state);
          const result = await work();
          for (const flush of state.flushes) await flush();
          return result;
        });
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
        await pause(5 * 2 ** attempt * (0.5 + Math.random()));
      }
    }
  }

  /**
   * Runs one SQL statement in the current transaction (or autocommit outside one) and returns
   * its rows. The structured result is used because TypeORM's plain `query` answers UPDATE and
   * DELETE with `[rows, count]` instead of the rows.
   */
  async query<Row = Record<string, unknown>>(sql: string, parameters: unknown[] = []): Promise<Row[]> {
    const manager = this.txHost.tx;
    const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
    try {
      // A named statement: each connection parses and plans it once, not at every call. (TypeORM
      // hands the object to the driver as it is, and still wraps the driver's errors.)
      const statement = { name: statementName(sql), text: sql, values: parameters };
      const result = await runner.query(statement as unknown as string, undefined, true).catch((error: unknown) => {
        // A table changed under a prepared `SELECT *` (a migration while this process ran): once more, unprepared.
        if (sqlStateOf(error) === PgErrorCode.FeatureNotSupported && /cached plan/.test(String(error)))
          return runner.query(sql, parameters, true);
        throw error;
      });
      return (result.records ?? []) as Row[];
    } finally {
      if (runner !== manager.queryRunner) await runner.release();
    }
  }
}

const STATEMENT_NAMES = new Map<string, string>();

/** A stable name per SQL text (the driver keeps one prepared statement per name and connection). */
function statementName(sql: string): string {
  let name = STATEMENT_NAMES.get(sql);
  if (!name) {
    name = `s${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    if (STATEMENT_NAMES.size < 10_000) STATEMENT_NAMES.set(sql, name);
  }
  return name;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
