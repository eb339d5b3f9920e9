import { readFileSync } from 'node:fs';

const SAMPLE_INTERVAL_MS = 200;

/**
 * Peak resident set size of one process, read from /proc every 200 ms. The API runs as its
 * own process so that this number is the API's alone, not the load generator's.
 */
export class RssSampler {
  private peakKb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  get peakMb(): number {
    return this.peakKb / 1024;
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  private sample(): void {
    const kb = readVmRssKb(this.pid);
    if (kb !== null && kb > this.peakKb) this.peakKb = kb;
  }
}

/** Null once the process is gone. */
function readVmRssKb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** CPU time the process has used so far, in seconds (schedstat counts nanoseconds on CPU). */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const [onCpuNs] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
    return Number(onCpuNs) / 1e9;
  } catch {
    return null;
  }
}
