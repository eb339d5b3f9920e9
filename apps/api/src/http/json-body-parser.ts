import type { FastifyInstance } from 'fastify';
import { RequestErrorCode, RequestException } from '@lib/common';

/**
 * Fastify's JSON parser (with its prototype-poisoning checks), whose failures become domain
 * errors: Nest turns Fastify's own parser errors into bare HTTP 400s, losing which one it was.
 */
export function installJsonBodyParser(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(new RequestException(RequestErrorCode.EmptyBody, 'the request has Content-Type application/json but no body'), undefined);
      return;
    }
    void parseJson(request, text, (error, value) => {
      if (error) done(new RequestException(RequestErrorCode.MalformedJson, 'the request body is not valid JSON'), undefined);
      else done(null, value);
    });
  });
}
