import type { Writable } from 'node:stream';
import pinoPretty from 'pino-pretty';

/**
 * Pino's JSON lines as a person reads them (time, level, message, then the fields); any other
 * line (the compiler's) as it is. The lines reach it already redacted by the app's own sink.
 */
export function prettyLog(options: { readonly destination: NodeJS.WritableStream; readonly colorize: boolean }): Writable {
  return pinoPretty({
    destination: options.destination,
    colorize: options.colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}
