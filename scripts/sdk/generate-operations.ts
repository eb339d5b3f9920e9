import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Writes clients/typescript/src/operations.ts from openapi.json: one typed function per
 * operation, named by its operationId, over the types openapi-typescript made (schema.d.ts).
 * `--check` fails when the committed file differs (CI runs it, as for the spec).
 */
const ROOT = resolve(__dirname, '..', '..', '..');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface Operation {
  operationId: string;
  summary?: string;
}

function render(spec: { paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>> }): string {
  const lines = [
    '// Made by `npm run sdk` from openapi.json (scripts/sdk/generate-operations.ts). Do not edit.',
    "import type { FetchResponse, MaybeOptionalInit } from 'openapi-fetch';",
    "import type { ClientPaths, ControlPlaneClient } from './client';",
    '',
    '/** The options of one operation (path, query, header parameters and body), as openapi-fetch takes them. */',
    'export type OperationInit<P extends keyof ClientPaths, M extends keyof ClientPaths[P] & string> = MaybeOptionalInit<ClientPaths[P], M>;',
    '',
    '/**',
    ' * What one operation answers: `data` for a declared success, or `error` for a failure (its declared',
    ' * body, or an UndeclaredErrorBody), and the response. `if (error) throw …` leaves `data` defined.',
    ' */',
    'export type OperationResult<P extends keyof ClientPaths, M extends keyof ClientPaths[P] & string> = FetchResponse<',
    '  ClientPaths[P][M] & Record<string | number, unknown>,',
    '  OperationInit<P, M>,',
    '  `${string}/${string}`',
    '>;',
    '',
  ];
  const seen = new Set<string>();
  for (const [path, operations] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const operation = operations[method];
      if (!operation) continue;
      if (!/^[a-z][A-Za-z0-9]*$/.test(operation.operationId) || seen.has(operation.operationId)) {
        throw new Error(`${method.toUpperCase()} ${path}: operationId "${operation.operationId}" is not a unique camelCase name`);
      }
      seen.add(operation.operationId);
      const summary = (operation.summary ?? '').replace(/\*\//g, '*\\/');
      lines.push(
        `/** ${method.toUpperCase()} ${path}: ${summary} */`,
        `export function ${operation.operationId}(`,
        '  client: ControlPlaneClient,',
        `  init: OperationInit<'${path}', '${method}'>,`,
        `): Promise<OperationResult<'${path}', '${method}'>> {`,
        `  return client.${method.toUpperCase()}('${path}', init as never) as Promise<OperationResult<'${path}', '${method}'>>;`,
        '}',
        '',
      );
    }
  }
  return lines.join('\n');
}

function main(): void {
  const spec = JSON.parse(readFileSync(resolve(ROOT, 'openapi.json'), 'utf8')) as Parameters<typeof render>[0];
  const file = resolve(ROOT, 'clients/typescript/src/operations.ts');
  const text = render(spec);
  const check = process.argv.indexOf('--check');
  if (check >= 0) {
    // The types openapi-typescript just made from openapi.json (into dist/), and these functions, against the committed ones.
    const fresh = process.argv[check + 1];
    const stale = [
      ...(fresh && readOrEmpty(resolve(fresh)) !== readOrEmpty(resolve(ROOT, 'clients/typescript/src/schema.d.ts')) ? ['schema.d.ts'] : []),
      ...(readOrEmpty(file) !== text ? ['operations.ts'] : []),
    ];
    if (stale.length > 0) {
      process.stderr.write(
        `clients/typescript/src/${stale.join(', ')} differ from openapi.json: run \`npm run sdk\` and commit the result\n`,
      );
      process.exit(1);
    }
    process.stdout.write('the SDK matches openapi.json\n');
    return;
  }
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\n`);
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

main();
