import type { FastifyInstance } from 'fastify';
import { RequestErrorCode, RequestException } from '@lib/common';

/** Deeper than any request needs (params may nest 32 levels inside the body). */
export const MAX_BODY_DEPTH = 64;

/**
 * Fastify's JSON parser (with its prototype-poisoning checks), whose failures become domain
 * errors: Nest turns Fastify's own parser errors into bare HTTP 400s, losing which one it was.
 * Before parsing, the text is refused if it is not UTF-8 or nests deeper than MAX_BODY_DEPTH
 * (measured without recursion), so no body can overflow the stack of the parser or the validator.
 */
export function installJsonBodyParser(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(new RequestException(RequestErrorCode.UnsupportedMediaType, `the request body must be UTF-8 JSON, not ${charset}`), undefined);
      return;
    }
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(new RequestException(RequestErrorCode.EmptyBody, 'the request has Content-Type application/json but no body'), undefined);
      return;
    }
    if (nestingDepth(text) > MAX_BODY_DEPTH) {
      done(new RequestException(RequestErrorCode.NestingTooDeep, `the request body nests deeper than ${MAX_BODY_DEPTH} levels`), undefined);
      return;
    }
    void parseJson(request, text, (error, value) => {
      if (error) done(new RequestException(RequestErrorCode.MalformedJson, 'the request body is not valid JSON'), undefined);
      else done(null, value);
    });
  });
}

/** The deepest nesting of arrays and objects in JSON text, brackets inside strings not counted. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '[' || char === '{') deepest = Math.max(deepest, ++depth);
    else if (char === ']' || char === '}') depth--;
  }
  return deepest;
}
