/**
 * Teardown steps registered as each resource comes into being, run newest first. Every step
 * is bounded in time and its failure does not stop the others, so a test run, the bench or the
 * fault campaign always ends and leaves no server, process or directory behind.
 */
export class CleanupStack {
  private readonly steps: { label: string; run: () => Promise<void> }[] = [];
  private draining: Promise<void> | null = null;

  defer(label: string, run: () => Promise<void>): void {
    this.steps.push({ label, run });
  }

  /**
   * Safe to call twice (a signal can arrive during a normal teardown): each step runs once, and
   * a second caller waits for the teardown under way instead of returning while it still runs.
   */
  runAll(onError: (message: string) => void, stepTimeoutMs = 20_000): Promise<void> {
    this.draining ??= this.drain(onError, stepTimeoutMs).finally(() => (this.draining = null));
    return this.draining;
  }

  private async drain(onError: (message: string) => void, stepTimeoutMs: number): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await withTimeout(step.run(), stepTimeoutMs, step.label);
      } catch (error) {
        onError(`cleanup "${step.label}" failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

export function withTimeout<T>(work: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
