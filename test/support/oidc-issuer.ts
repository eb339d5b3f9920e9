import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, JWK, KeyLike, SignJWT } from 'jose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@lib/config';
import { createApiApp } from '../../apps/api/src/bootstrap';

export const AUDIENCE = 'control-plane-e2e';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyLike;
  readonly jwk: JWK;
}

export async function signingKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** How the issuer answers for its key set: as it should, 503, or 200 with a body that is not JSON. */
export type IssuerMode = 'up' | 'down' | 'not-json';

export interface TokenOptions {
  readonly key?: SigningKey;
  readonly iss?: string;
  readonly aud?: string;
  readonly exp?: string | number;
  /** Seconds since the epoch; default now; null: no iat claim. */
  readonly iat?: number | null;
}

/**
 * A real identity provider for the e2e suite: its discovery document and key set over HTTP on a
 * loopback port, tokens signed with its keys, and an API configured to accept them with the
 * given claim rules.
 */
export class OidcIssuer {
  mode: IssuerMode = 'up';
  published: SigningKey[];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    public current: SigningKey,
  ) {
    this.published = [current];
  }

  static async start(): Promise<OidcIssuer> {
    const holder: { issuer?: OidcIssuer } = {};
    const server = createServer((req, res) => {
      const issuer = holder.issuer;
      if (!issuer || issuer.mode === 'down') {
        res.writeHead(503).end();
      } else if (req.url === '/.well-known/openid-configuration') {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ issuer: issuer.url, jwks_uri: `${issuer.url}/jwks` }));
      } else if (req.url === '/jwks') {
        if (issuer.mode === 'not-json') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        else
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: issuer.published.map((key) => key.jwk) }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.issuer = new OidcIssuer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, await signingKey());
    return holder.issuer;
  }

  /** A signed access token; `claims` may override any registered claim (sub, jti, ...) with any value. */
  async token(claims: Record<string, unknown>, options: TokenOptions = {}): Promise<string> {
    const key = options.key ?? this.current;
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ name: 'Alice Approver', sub: 'alice', jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(options.iss ?? this.url)
      .setAudience(options.aud ?? AUDIENCE);
    if (options.iat !== null) jwt.setIssuedAt(options.iat ?? now);
    if (typeof options.exp === 'number') jwt.setExpirationTime(options.exp);
    else jwt.setExpirationTime(options.exp ?? '5m');
    return jwt.sign(key.privateKey);
  }

  /** An API (in-process) that accepts this issuer's tokens, with these claim rules. */
  async api(rules: unknown[], env: Record<string, string> = {}): Promise<{ app: NestFastifyApplication; close: () => Promise<void> }> {
    const dir = mkdtempSync(join(tmpdir(), 'oidc-rules-'));
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify({ rules }));
    const config = loadConfig({ ...process.env, OIDC_ISSUER: this.url, OIDC_AUDIENCE: AUDIENCE, OIDC_RULES_FILE: rulesFile, ...env });
    const app = await createApiApp({ logger: false, config });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return {
      app,
      close: async () => {
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}
