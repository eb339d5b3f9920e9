import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { BODY_ERRORS, errorResponseSchema, QUERY_ERRORS, RequestErrorCode } from '@lib/common';
import { DatabaseErrorCode, RETRY_AFTER_SECONDS } from '@lib/database';
import { API_KEY_SCHEME, OIDC_SCHEME, IdentityErrorCode } from '@lib/identity';
import { httpStatusOf } from './http/error-status';

type Operation = {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: unknown;
  responses: Record<string, Response>;
};
type Response = { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: Record<string, unknown> }> };

/** Every credential refusal, on every route that needs a credential. */
const AUTHENTICATION_ERRORS = [
  IdentityErrorCode.Unauthenticated,
  IdentityErrorCode.ApiKeyRevoked,
  IdentityErrorCode.ApiKeyExpired,
  IdentityErrorCode.TokenInvalid,
  IdentityErrorCode.TokenExpired,
  IdentityErrorCode.TokenWrongAudience,
  IdentityErrorCode.TokenWrongIssuer,
  IdentityErrorCode.TokenUnknownSigningKey,
  IdentityErrorCode.TokenNotAccepted,
  IdentityErrorCode.TokenClaimInvalid,
  IdentityErrorCode.PrincipalDisabled,
  IdentityErrorCode.ApiKeySuspended,
];
const UNAVAILABLE = [
  DatabaseErrorCode.DatabaseUnavailable,
  DatabaseErrorCode.DatabaseTimeout,
  IdentityErrorCode.IdentityProviderUnavailable,
];
const BODY = [...BODY_ERRORS, RequestErrorCode.NestingTooDeep, RequestErrorCode.BadRequest];
const PATH = [RequestErrorCode.MalformedPath];
const REQUEST_ID_HEADER = {
  description: 'The request id, also in an error body: quote it when reporting a problem',
  schema: { type: 'string', maxLength: 128 },
};

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Governed execution control plane')
    .setDescription(
      'Runs are created once per (project_id, idempotency_key), start BLOCKED, and move only when approved. ' +
        'Every error has the body {"error": {"code", "message", "details"?}, "request_id"}; each response names the codes it can carry. ' +
        'A 503 carries Retry-After: try again then.',
    )
    .setVersion('1.0.0')
    .setLicense('UNLICENSED', '')
    .addServer('/', 'The server this document was read from')
    .addTag('execution', 'Runs: create once, read, follow, cancel, re-drive, purge')
    .addTag('approvals', 'Votes on a run: approve, reject, defer, reopen')
    .addTag('governance', 'The action-type policy and the approval counters')
    .addTag('metrics', 'Prometheus metrics')
    .addTag('grants', 'Single-use build authorizations')
    .addTag('identity', 'Principals and their API keys')
    .addTag('audit', 'The tamper-evident audit trail')
    .addTag('webhooks', "Subscriptions to a project's events, and their signed deliveries")
    .addTag('workers', "The worker protocol: the user's own workers claim approved runs of remote actions and report their steps")
    .addTag('health', 'Liveness and readiness probes')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque API key (cpk_…)',
        description: 'An API key of a service (or of a person), as minted by POST /api/v1/api-keys',
      },
      API_KEY_SCHEME,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: "An OIDC access token from the organisation's identity provider (OIDC_ISSUER), for people signing in through SSO",
      },
      OIDC_SCHEME,
    )
    .build();
  return completeDocument(
    SwaggerModule.createDocument(app, config, {
      operationIdFactory: (controller: string, method: string) => {
        const id = OPERATION_IDS[`${controller}.${method}`];
        if (!id) throw new Error(`${controller}.${method} has no operationId: name it in OPERATION_IDS (apps/api/src/openapi.ts)`);
        return id;
      },
    }),
  );
}

/**
 * Every operation's id, chosen once and kept stable: generated clients name their functions
 * after them. A route that is not listed here stops the document from being built.
 */
const OPERATION_IDS: Readonly<Record<string, string>> = {
  'HealthController.live': 'getLiveness',
  'HealthController.ready': 'getReadiness',
  'ApiKeysController.create': 'mintApiKey',
  'ApiKeysController.list': 'listApiKeys',
  'ApiKeysController.revoke': 'revokeApiKey',
  'ApiKeysController.me': 'getCurrentPrincipal',
  'PrincipalsController.get': 'getPrincipal',
  'PrincipalsController.disable': 'disablePrincipal',
  'PrincipalsController.enable': 'enablePrincipal',
  'PrincipalsController.setServiceApprover': 'setServiceApprover',
  'PolicyController.listActionTypes': 'listActionTypes',
  'AuditController.events': 'listAuditEvents',
  'AuditController.verify': 'verifyAuditChain',
  'AuditController.metrics': 'getApprovalCounters',
  'ExecutionModeController.list': 'listExecutionModes',
  'ExecutionModeController.setForAction': 'setActionExecutionMode',
  'ExecutionModeController.setForLevel': 'setLevelExecutionMode',
  'GrantsController.get': 'getGrant',
  'GrantsController.consume': 'consumeGrant',
  'GrantsController.revoke': 'revokeGrant',
  'ExecutionController.create': 'createRun',
  'ExecutionController.getByKey': 'getRunByKey',
  'ExecutionController.getById': 'getRun',
  'ExecutionController.listEvents': 'listRunEvents',
  'ExecutionController.cancel': 'cancelRun',
  'ExecutionController.stream': 'streamRunEvents',
  'PlanController.replacePlan': 'replaceRunPlan',
  'ApprovalsController.approve': 'approveRun',
  'ApprovalsController.reject': 'rejectRun',
  'ApprovalsController.defer': 'deferRun',
  'ApprovalsController.reopen': 'reopenRun',
  'InboxController.pending': 'listPendingApprovals',
  'InboxController.mine': 'listMyInbox',
  'RunSearchController.search': 'searchRuns',
  'RunSearchController.review': 'getRunReview',
  'DlqController.list': 'listDeadLetters',
  'DlqController.retry': 'redriveDeadLetter',
  'RetentionController.purge': 'purgeRuns',
  'WebhookController.create': 'createWebhook',
  'WebhookController.list': 'listWebhooks',
  'WebhookController.get': 'getWebhook',
  'WebhookController.update': 'updateWebhook',
  'WebhookController.rotateSecret': 'rotateWebhookSecret',
  'WebhookController.deliveriesOf': 'listWebhookDeliveries',
  'WebhookController.redrive': 'redriveWebhookDelivery',
  'WorkerProtocolController.claim': 'claimRuns',
  'WorkerProtocolController.heartbeat': 'heartbeatRun',
  'WorkerProtocolController.progress': 'reportRunProgress',
  'WorkerProtocolController.result': 'reportStepResult',
  'MetricsController.scrape': 'getMetrics',
};

/**
 * What every operation of a kind can answer, declared where the framework cannot see it: a
 * credential refused (401) or out of reach (503), a body, query or path the edge refuses, a
 * request that trickles in (408), a fault of ours (500); the request id header on every answer;
 * and null where an OpenAPI 3.0 reference or enum would not say it.
 */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as Operation[]) {
      if (typeof operation !== 'object' || !operation.responses) continue;
      const secured = (operation.security ?? []).length > 0;
      if (!secured) operation.security = [];
      const parameters = operation.parameters ?? [];
      if (secured) {
        addErrors(operation, AUTHENTICATION_ERRORS);
        addErrors(operation, [IdentityErrorCode.Forbidden]);
        addErrors(operation, UNAVAILABLE);
      }
      if (operation.requestBody) addErrors(operation, BODY);
      if (parameters.some((parameter) => parameter.in === 'query')) addErrors(operation, [...QUERY_ERRORS]);
      if (parameters.some((parameter) => parameter.in === 'path')) addErrors(operation, [...PATH, RequestErrorCode.PathTooLong]);
      operation.responses['408'] ??= {
        description: 'The request did not arrive in time (HTTP_REQUEST_TIMEOUT_MS); the connection is closed',
      };
      addErrors(operation, ['internal_error'], 500, 'A fault of ours: the body names only the request id');
      for (const [status, response] of Object.entries(operation.responses)) {
        response.headers = {
          ...response.headers,
          'X-Request-Id': REQUEST_ID_HEADER,
          ...(status === '503'
            ? { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', example: RETRY_AFTER_SECONDS } } }
            : {}),
        };
      }
    }
  }
  for (const schema of Object.values(document.components?.schemas ?? {})) nullableReferences(schema as Record<string, unknown>);
  wholeNumbers(document);
  return document;
}

/** Adds codes to the error response of their status (made if absent), keeping the enum unique and sorted. */
function addErrors(operation: Operation, codes: readonly string[], fixedStatus?: number, description?: string): void {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const status = fixedStatus ?? httpStatusOf(code as Parameters<typeof httpStatusOf>[0]);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, added] of byStatus) {
    const existing = operation.responses[String(status)];
    const schema = existing?.content?.['application/json']?.schema as {
      properties?: { error?: { properties?: { code?: { enum?: string[] } } } };
    };
    const known = schema?.properties?.error?.properties?.code?.enum ?? [];
    const all = [...new Set([...known, ...added])].sort();
    operation.responses[String(status)] = {
      description: existing?.description ?? description ?? `error.code: ${all.join(' | ')}`,
      ...(existing?.headers ? { headers: existing.headers } : {}),
      content: { 'application/json': { schema: errorResponseSchema(all) } },
    };
    if (existing && !description) operation.responses[String(status)].description = `error.code: ${all.join(' | ')}`;
  }
}

/** Every number the API takes or answers is a whole one (counts, seconds, levels, limits): said as integer. */
function wholeNumbers(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(wholeNumbers);
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  if (record.type === 'number') record.type = 'integer';
  for (const value of Object.values(record)) wholeNumbers(value);
}

/**
 * OpenAPI 3.0 ignores what stands beside a $ref, so a nullable object property is written as
 * allOf of the reference, and a nullable enum lists null among its values.
 */
function nullableReferences(schema: Record<string, unknown>): void {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, property] of Object.entries(properties)) {
    if (property.nullable === true && typeof property.$ref === 'string') {
      const { $ref, ...rest } = property;
      properties[name] = { ...rest, allOf: [{ $ref }] };
    }
    if (property.nullable === true && Array.isArray(property.enum) && !property.enum.includes(null)) {
      property.enum = [...(property.enum as unknown[]), null];
    }
  }
}
