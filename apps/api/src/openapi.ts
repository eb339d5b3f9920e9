import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SCHEME, OIDC_SCHEME } from '@lib/governance';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Governed execution control plane')
    .setDescription(
      'Runs are created once per (project_id, idempotency_key), start BLOCKED, and move only when approved. ' +
        'Every error has the body {"error": {"code", "message", "details"?}, "request_id"}.',
    )
    .setVersion('1.0.0')
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
  return SwaggerModule.createDocument(app, config);
}
