import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import { SECRET_MASKER, serializeError } from '@lib/common';
import { AppConfig } from '@lib/config';

/**
 * Structured JSON logs on stdout, one line per event, each with the request id. Credentials and
 * resolved secrets are redacted at the sink; bodies are never logged.
 */
export function loggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.values.logLevel,
      genReqId: (request: IncomingMessage) => (request as IncomingMessage & { id?: string }).id ?? 'unknown',
      // Bound to the request's child logger, so every line logged while serving it carries the id.
      customProps: (request: IncomingMessage) => ({ request_id: (request as IncomingMessage & { id?: string }).id }),
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'], censor: '[redacted]' },
      serializers: {
        req: (request: { id: string; method: string; url: string }) => ({ method: request.method, url: request.url }),
        res: (response: { statusCode: number }) => ({ status: response.statusCode }),
        // A database error's statement, parameters and failing row never reach the log.
        err: serializeError,
      },
      autoLogging: { ignore: (request: IncomingMessage) => (request.url ?? '').startsWith('/health') },
      // The sink itself redacts every secret value resolved in this process.
      hooks: { streamWrite: (line: string) => SECRET_MASKER.mask(line) },
    },
  };
}
