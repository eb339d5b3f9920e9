import { ExitStatus, tailOf } from '@tools/harness';

/** A process of the stack (API or worker) that exited without being asked to. */
export interface Crash {
  readonly process: string;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: string | null;
  readonly at: string;
  /** The end of its log, where the reason usually is. */
  readonly log_tail: string;
}

const TAIL_BYTES = 2_000;

export class CrashLog {
  readonly crashes: Crash[] = [];

  record(input: { process: string; pid: number; status: ExitStatus; logFile: string }): Crash {
    const crash: Crash = {
      process: input.process,
      pid: input.pid,
      code: input.status.code,
      signal: input.status.signal,
      at: new Date().toISOString(),
      log_tail: tailOf(input.logFile, TAIL_BYTES),
    };
    this.crashes.push(crash);
    return crash;
  }
}
