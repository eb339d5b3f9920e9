import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppConfig } from '@lib/config';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/** Where `npm run build` puts the console (vite, apps/console): dist/console, from the sources and from the build alike. */
export function consoleDirectory(): string {
  const root = resolve(__dirname, '..', '..', '..', '..');
  return basename(root) === 'dist' ? join(root, 'console') : join(root, 'dist', 'console');
}

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/**
 * The content security policy of every console answer: scripts and styles only from this
 * origin (no inline script, no eval), requests only to this origin and the identity provider
 * (discovery and the token exchange), never framed, forms and base URLs nowhere else.
 */
export function consoleSecurityPolicy(config: AppConfig): string {
  const issuer = config.values.console.oidcClientId && config.values.oidc ? ` ${new URL(config.values.oidc.issuer).origin}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${issuer}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Serves the operator console at /console/ from memory (read once at start: a fixed set of
 * files, so no path reaches the file system), with its configuration at /console/config.json.
 * These routes hold no data: the page calls the API with the credential its user signs in with.
 * When the console was not built, /console/ says so (404 console_not_built).
 */
export function installConsole(fastify: FastifyInstance, config: AppConfig, directory = consoleDirectory()): void {
  const assets = new Map<string, Asset>();
  const read = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) read(join(dir, entry.name), `${prefix}${entry.name}/`);
      else
        assets.set(`${prefix}${entry.name}`, {
          body: readFileSync(join(dir, entry.name)),
          type: CONTENT_TYPES[extname(entry.name)] ?? 'application/octet-stream',
        });
    }
  };
  if (existsSync(join(directory, 'index.html'))) read(directory, '');
  const policy = consoleSecurityPolicy(config);
  const secure = (reply: FastifyReply) =>
    reply.headers({
      'content-security-policy': policy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
    });
  const send = (reply: FastifyReply, path: string) => {
    const asset = assets.get(path);
    if (!asset) {
      const built = assets.has('index.html');
      return secure(reply)
        .code(404)
        .send({
          error: built
            ? { code: 'not_found', message: 'no such console file' }
            : { code: 'console_not_built', message: 'the console is not built: run npm run build' },
        });
    }
    // Hashed asset names never change content; the page itself is read fresh each time.
    const cache = path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-store';
    return secure(reply).code(200).type(asset.type).header('cache-control', cache).send(asset.body);
  };
  const settings = JSON.stringify({
    oidc:
      config.values.oidc && config.values.console.oidcClientId
        ? { issuer: config.values.oidc.issuer, client_id: config.values.console.oidcClientId, audience: config.values.oidc.audience }
        : null,
  });
  fastify.get('/console', (_request, reply) => secure(reply).redirect('/console/', 302));
  fastify.get('/console/', (_request, reply) => send(reply, 'index.html'));
  fastify.get('/console/config.json', (_request, reply) =>
    secure(reply).code(200).type('application/json; charset=utf-8').header('cache-control', 'no-store').send(settings),
  );
  fastify.get<{ Params: { '*': string } }>('/console/*', (request, reply) => send(reply, request.params['*']));
}
