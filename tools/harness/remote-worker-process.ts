import { ManagedProcess, ProcessOutput } from './managed-process';
import { Program } from './repo-root';

const READY_TIMEOUT_MS = 30_000;
/** A remote worker may be waiting in its long-poll when asked to stop. */
const STOP_GRACE_MS = 8_000;

/**
 * A user's remote worker in a child process: any program that reads the control plane's URL and
 * its credential from CONTROL_PLANE_URL and CONTROL_PLANE_CREDENTIAL (the SDK's createWorker,
 * the examples in examples/workers, the bench's no-op worker).
 */
export class RemoteWorkerProcess extends ManagedProcess {
  constructor(input: {
    program: Program;
    baseUrl: string;
    credential: string;
    env?: Readonly<Record<string, string>>;
    output?: ProcessOutput;
  }) {
    super({
      program: input.program,
      env: { CONTROL_PLANE_URL: input.baseUrl, CONTROL_PLANE_CREDENTIAL: input.credential, ...input.env },
      output: input.output,
      stopGraceMs: STOP_GRACE_MS,
    });
  }

  /** Resolves once it said it started. */
  ready(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    return this.waitForOutput({ text: 'started', what: 'the remote worker', timeoutMs });
  }
}
