import { existsSync, readFileSync } from 'node:fs';

const STACK_LINES = 8;

/**
 * What the API logged about one request at warn level or above (its error and the top of the
 * stack), found by the request id every line carries: the evidence for a 5xx in the report.
 */
export function apiLogFor(logFile: string, requestId: string): string[] {
  if (!existsSync(logFile)) return [];
  const found: string[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes(requestId)) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { type?: string; message?: string; stack?: string } };
      if ((entry.level ?? 0) < 40) continue;
      const stack = entry.err?.stack?.split('\n').slice(0, STACK_LINES).join('\n');
      found.push(`${entry.msg ?? ''}${stack ? `: ${stack}` : entry.err?.message ? `: ${entry.err.message}` : ''}`);
    } catch {
      found.push(line.slice(0, 500));
    }
  }
  return found;
}
