import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { createApiApp } from './bootstrap';
import { buildOpenApiDocument } from './openapi';

/**
 * The DTOs that nest-cli.json hands to the Swagger plugin carry no @ApiProperty of their own for
 * what the plugin writes. `npm run openapi:check` proves the built app (nest build) documents
 * them as openapi.json does; this proves an in-process app under Jest does too.
 */
describe('the OpenAPI document of an in-process app', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApiApp({ logger: false, preview: true });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is the committed openapi.json, byte for byte', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'openapi.json'), 'utf8');
    expect(`${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`).toBe(committed);
  });
});
