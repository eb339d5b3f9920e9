const started = Date.now();

/** Progress for the person watching: stderr, stamped with seconds since the campaign began, so stdout holds only results. */
export function progress(message: string): void {
  process.stderr.write(`chaos [${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolvePause) => setTimeout(resolvePause, ms));
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
