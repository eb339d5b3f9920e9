/**
 * Every response time of one run, so that any percentile can be read exactly. autocannon's own
 * summary has p90 and p97.5 but no p95.
 */
export class LatencyRecorder {
  private readonly samplesMs: number[] = [];

  record(ms: number): void {
    this.samplesMs.push(ms);
  }

  get count(): number {
    return this.samplesMs.length;
  }

  /** Nearest-rank percentiles (p in 0..100); NaN when nothing was recorded. */
  percentiles<P extends number>(ps: readonly P[]): Record<P, number> {
    const sorted = Float64Array.from(this.samplesMs).sort();
    const out = {} as Record<P, number>;
    for (const p of ps) out[p] = sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
    return out;
  }
}
