import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApiApp } from '../apps/api/src/bootstrap';
import { buildOpenApiDocument } from '../apps/api/src/openapi';

/**
 * `npm run openapi` writes openapi.json from the code; `npm run openapi:check` fails when the
 * committed file differs (CI runs it). Needs no database: the app is built in preview mode.
 */
async function main(): Promise<void> {
  const app = await createApiApp({ logger: false, preview: true });
  const text = `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  await app.close();
  const file = resolve(__dirname, '..', '..', 'openapi.json');
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(file, 'utf8');
    } catch {
      committed = '';
    }
    if (committed !== text) {
      process.stderr.write('openapi.json differs from the code: run `npm run openapi` and commit the result\n');
      process.exit(1);
    }
    process.stdout.write('openapi.json matches the code\n');
    return;
  }
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
