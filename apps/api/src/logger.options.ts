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
        req: (request: { id: string; method: string; url: string }) => ({ method: request.method, url: loggedUrl(request.url) }),
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

/** A query parameter whose name says it carries a credential (a token pasted into a URL, an OIDC code). */
const CREDENTIAL_PARAMETER = /token|key|secret|passw|auth|code|signature|credential|session/i;

/**
 * The URL as logged: a value of a query parameter that may carry a credential is replaced, so a
 * key a caller put in a URL (`?access_token=…`) never reaches the log.
 */
export function loggedUrl(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const parts = url
    .slice(query + 1)
    .split('&')
    .map((part) => {
      const equals = part.indexOf('=');
      const name = equals < 0 ? part : part.slice(0, equals);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // A malformed name is kept as it is: it is still tested below.
      }
      return equals >= 0 && CREDENTIAL_PARAMETER.test(decoded) ? `${name}=[redacted]` : part;
    });
  return `${url.slice(0, query)}?${parts.join('&')}`;
}
