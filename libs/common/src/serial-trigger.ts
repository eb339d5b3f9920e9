/**
 * Runs `work` on the next turn of the event loop when fired. Fires that arrive while it runs
 * make it run once more after it, never twice at once; fires that arrive together (runs that
 * ended in the same tick, a NOTIFY and a poll) make one run. An error of `work` goes to
 * `onError` and never past it. Used by the loops that claim into free slots.
 */
export class SerialTrigger {
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  fire(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() => {
      void this.work()
        .catch((error: unknown) => {
          try {
            this.onError(error);
          } catch {
            // The reporter failed too: nothing is left to tell.
          }
        })
        .finally(() => {
          this.running = false;
          if (this.again) {
            this.again = false;
            this.fire();
          }
        });
    });
  }

  /** No run starts after this (one already running finishes). */
  stop(): void {
    this.stopped = true;
  }
}
