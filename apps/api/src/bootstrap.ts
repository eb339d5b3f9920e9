import { createServer, RequestListener } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppConfig, loadConfig } from '@lib/config';
import { MetricsService } from '@lib/telemetry';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { toErrorResponse } from './http/error-response';
import { installJsonBodyParser } from './http/json-body-parser';
import { installConsole } from './http/console-assets';
import { RequestValidationPipe } from './http/request-validation.pipe';
import { buildOpenApiDocument } from './openapi';
import { generateRequestId } from './request-id';

export const BODY_LIMIT_BYTES = 64 * 1024;

/** Builds the API application (not yet listening): used by main, the tests and the spec script. */
export interface ApiAppOptions {
  readonly logger?: boolean;
  /** Build the module graph without instantiating providers (no database): enough for the OpenAPI document. */
  readonly preview?: boolean;
  /** Run the worker (sweeper and execution runner) in this process. */
  readonly withWorker?: boolean;
  /** The configuration already loaded; otherwise the environment is read. */
  readonly config?: AppConfig;
}

export async function createApiApp(options: ApiAppOptions = {}): Promise<NestFastifyApplication> {
  const config = options.config ?? loadConfig(process.env);
  const adapter = new FastifyAdapter({
    // A request trickled in (a body sent a byte at a time) is answered 408 and closed, whoever
    // sent it: Node checks every connection's progress each second against the request timeout.
    serverFactory: (handler: RequestListener) =>
      createServer({ requestTimeout: config.values.httpRequestTimeoutMs, connectionsCheckingInterval: 1000 }, handler),
    bodyLimit: BODY_LIMIT_BYTES,
    // The longest path value is an action type code (128 characters); longer is a 414.
    maxParamLength: 128,
    genReqId: generateRequestId,
    requestIdHeader: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Errors Fastify meets before a route is found (a path that is not valid percent-encoding, a
    // path segment past the parameter limit) get the one error body and the request id too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const response = toErrorResponse(error, request.id);
      void reply
        .code(response.status)
        .headers({ ...response.headers, 'x-request-id': request.id })
        .send(response.body);
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register({ withWorker: options.withWorker, config }), adapter, {
    bufferLogs: true,
    // The JSON parser is installed below, so its errors keep their own codes.
    bodyParser: false,
    logger: options.logger === false ? false : undefined,
    preview: options.preview ?? false,
  });
  if (options.logger !== false && !options.preview) app.useLogger(app.get(Logger));
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(new RequestValidationPipe());

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installJsonBodyParser(fastify);
  installConsole(fastify, config);
  if (!options.preview) {
    // Every answer timed by its route template (never the raw URL: ids would make a series each).
    const metrics = app.get(MetricsService);
    fastify.addHook('onResponse', (request, reply, done) => {
      try {
        metrics.observeHttpRequest({
          method: request.method,
          route: request.routeOptions.url,
          status: reply.statusCode,
          seconds: reply.elapsedTime / 1000,
        });
      } catch (error) {
        // A metric lost, never a request: the answer has been sent already.
        request.log.error({ err: error }, 'recording the request duration failed');
      }
      done();
    });
  }

  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json', yamlDocumentUrl: 'api/openapi.yaml' });
  return app;
}
