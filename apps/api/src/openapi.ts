import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Governed execution control plane')
    .setDescription(
      'Runs are created once per (project_id, idempotency_key), start BLOCKED, and move only when approved. ' +
        'Every error has the body {"error": {"code", "message", "details"?}, "request_id"}.',
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key' })
    .build();
  return SwaggerModule.createDocument(app, config);
}
