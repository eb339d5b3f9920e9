/**
 * When the database was away, as the campaign caused it. Two windows matter:
 * - down: from the moment the server had stopped until its start was asked for. Every answer
 *   that needs the database must then be 503 database_unavailable with Retry-After.
 * - outage: from the stop request until the stack had recovered (ready, and a fresh run
 *   executed). A 503 in it is expected; outside it, a 503 is an unexpected 5xx.
 */
export class OutageClock {
  private stopRequestedAt: number | null = null;
  private stoppedAt: number | null = null;
  private startRequestedAt: number | null = null;
  private recoveredAt: number | null = null;

  stopRequested(at = Date.now()): void {
    this.stopRequestedAt = at;
  }

  stopped(at = Date.now()): void {
    this.stoppedAt = at;
  }

  startRequested(at = Date.now()): void {
    this.startRequestedAt = at;
  }

  recovered(at = Date.now()): void {
    this.recoveredAt = at;
  }

  /** Sent and answered while the server was certainly down. */
  wasDown(sentAt: number, answeredAt: number): boolean {
    if (this.stoppedAt === null) return false;
    const end = this.startRequestedAt ?? Number.POSITIVE_INFINITY;
    return sentAt >= this.stoppedAt && answeredAt <= end;
  }

  /** Sent or answered during the outage (recovery included). */
  inOutage(sentAt: number, answeredAt: number): boolean {
    if (this.stopRequestedAt === null) return false;
    const end = this.recoveredAt ?? Number.POSITIVE_INFINITY;
    const within = (at: number) => at >= (this.stopRequestedAt as number) && at <= end;
    return within(sentAt) || within(answeredAt);
  }
}
