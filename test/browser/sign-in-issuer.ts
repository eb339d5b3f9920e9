import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { signingKey, SigningKey } from '../support/oidc-issuer';

/** Who signs in at the test issuer's login page: the claims of the access token it issues. */
export interface TestUser {
  readonly sub: string;
  readonly name: string;
  readonly groups: readonly string[];
}

interface PendingCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly user: TestUser;
}

/**
 * A real OpenID provider for the browser test, on a loopback port: discovery, key set, an
 * authorization endpoint that signs the configured user in at once (no login form: the test is
 * about the console's side of the flow) and a token endpoint that checks the PKCE verifier, the
 * client id and the redirect URI, and honours each code once. It answers the console's
 * cross-origin requests as real providers do (CORS).
 */
export class SignInIssuer {
  user: TestUser = { sub: 'olivia', name: 'Olivia Approver', groups: ['control-plane-approvers'] };
  tokenLifetimeSeconds = 300;
  /** What the token endpoint refused, for the test to read. */
  readonly refusals: string[] = [];
  readonly issued: string[] = [];
  private readonly codes = new Map<string, PendingCode>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly key: SigningKey,
    readonly audience: string,
    readonly clientId: string,
  ) {}

  static async start(input: { audience: string; clientId: string }): Promise<SignInIssuer> {
    const holder: { issuer?: SignInIssuer } = {};
    const server = createServer((request, response) => {
      const issuer = holder.issuer;
      if (!issuer) return void response.writeHead(503).end();
      issuer.handle(request, response).catch(() => response.writeHead(500).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    holder.issuer = new SignInIssuer(server, url, await signingKey(), input.audience, input.clientId);
    return holder.issuer;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' };
    if (request.method === 'OPTIONS') return void response.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, POST' }).end();
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(response, 200, cors, {
        issuer: this.url,
        jwks_uri: `${this.url}/jwks`,
        authorization_endpoint: `${this.url}/authorize`,
        token_endpoint: `${this.url}/token`,
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname === '/jwks') return json(response, 200, cors, { keys: [this.key.jwk] });
    if (url.pathname === '/authorize') {
      const query = url.searchParams;
      const redirect = query.get('redirect_uri') ?? '';
      if (query.get('client_id') !== this.clientId || query.get('code_challenge_method') !== 'S256' || !query.get('code_challenge')) {
        return void response.writeHead(400, { 'content-type': 'text/plain' }).end('bad authorization request');
      }
      const code = randomBytes(16).toString('hex');
      this.codes.set(code, {
        clientId: this.clientId,
        redirectUri: redirect,
        challenge: query.get('code_challenge') ?? '',
        user: this.user,
      });
      const back = new URL(redirect);
      back.searchParams.set('code', code);
      back.searchParams.set('state', query.get('state') ?? '');
      return void response.writeHead(302, { location: back.toString() }).end();
    }
    if (url.pathname === '/token' && request.method === 'POST') {
      const form = new URLSearchParams(await bodyOf(request));
      const code = form.get('code') ?? '';
      const pending = this.codes.get(code);
      this.codes.delete(code);
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const refusal = !pending
        ? 'unknown or used code'
        : pending.challenge !== challenge
          ? 'verifier does not match'
          : pending.clientId !== form.get('client_id') || pending.redirectUri !== form.get('redirect_uri')
            ? 'client or redirect mismatch'
            : form.get('grant_type') !== 'authorization_code'
              ? 'grant type'
              : null;
      if (refusal || !pending) {
        this.refusals.push(refusal ?? 'unknown');
        return json(response, 400, cors, { error: 'invalid_grant' });
      }
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ name: pending.user.name, groups: [...pending.user.groups], jti: randomUUID() })
        .setProtectedHeader({ alg: 'RS256', kid: this.key.kid })
        .setIssuer(this.url)
        .setAudience(this.audience)
        .setSubject(pending.user.sub)
        .setIssuedAt(now)
        .setExpirationTime(now + this.tokenLifetimeSeconds)
        .sign(this.key.privateKey);
      this.issued.push(token);
      return json(response, 200, cors, { access_token: token, token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds });
    }
    response.writeHead(404).end();
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function json(response: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  response.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
