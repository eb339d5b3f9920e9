/**
 * A time computed by PostgreSQL when the statement runs, never by this process's clock: leases,
 * deadlines and availability are compared with the database's now(), so two hosts with skewed
 * clocks agree on them. Values of this type are rendered as SQL by the statement builder.
 */
export class DbTime {
  private constructor(
    /** Milliseconds after now(); 0 for now() itself. */
    readonly offsetMs: number,
  ) {}

  static now(): DbTime {
    return new DbTime(0);
  }

  /** now() plus a number of milliseconds (a lease, a backoff, a deadline). */
  static inMs(ms: number): DbTime {
    if (!Number.isFinite(ms)) throw new Error(`not a duration: ${ms}`);
    return new DbTime(ms);
  }

  /** The SQL for this time; `bind` adds a parameter and answers its placeholder. */
  toSql(bind: (value: unknown) => string): string {
    return this.offsetMs === 0 ? 'now()' : `now() + make_interval(secs => ${bind(this.offsetMs)}::double precision / 1000)`;
  }
}
