import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { readFileSync } from 'node:fs';
import { AppConfig, DatabaseSettings, defaultWorkerId } from './app-config';
import { UrlPrefix } from './url-prefix';
import { Environment, SECRET_PREFIX, variableNotes } from './environment';

/** A variable that breaks its rule; the message names each one, its rule and the value given. */
export class ConfigError extends Error {}

const INTEGER_VARIABLES = new Set([
  'PORT',
  'HTTP_REQUEST_TIMEOUT_MS',
  'DB_POOL_SIZE',
  'DB_STATEMENT_TIMEOUT_MS',
  'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS',
  'DB_CONNECT_TIMEOUT_MS',
  'SWEEP_INTERVAL_MS',
  'WORKER_CONCURRENCY',
  'WORKER_LEASE_MS',
  'WORKER_POLL_MS',
  'WORKER_BACKOFF_BASE_MS',
  'WORKER_ABORT_GRACE_MS',
  'WORKER_LOCK_WAIT_MS',
  'WORKER_METRICS_PORT',
  'EMBEDDED_PG_PORT',
  'WEBHOOK_TIMEOUT_MS',
  'WEBHOOK_MAX_ATTEMPTS',
  'WEBHOOK_BACKOFF_BASE_MS',
  'WEBHOOK_CONCURRENCY',
  'OIDC_MAX_TOKEN_LIFETIME_S',
  'PERSON_KEY_IDLE_DAYS',
]);

/**
 * Validates the environment once. An empty variable counts as unset. A bad value stops the
 * process: `SWEEP_INTERVAL_MS must be an integer from 10 to 3600000 (milliseconds); got "abc"`.
 */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const raw: Record<string, unknown> = {};
  for (const { name } of variableNotes()) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    raw[name] = INTEGER_VARIABLES.has(name) ? toInteger(value) : value;
  }
  const environment = plainToInstance(Environment, raw);
  const errors = validateSync(environment, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const problems = errors.map((error) => {
      const rule = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
      const shown = error.property.includes('KEY') || error.property.includes('URL') ? '(hidden)' : JSON.stringify(env[error.property]);
      return `${error.property} ${rule}; got ${shown}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  if (environment.OIDC_ISSUER && !environment.OIDC_AUDIENCE) {
    throw new ConfigError('invalid configuration:\n  OIDC_AUDIENCE must be set when OIDC_ISSUER is; got nothing');
  }
  const database = databaseSettingsOf(environment);
  const leaseMs = environment.WORKER_LEASE_MS ?? 15_000;
  const webhookAllowlist = parseAllowlist(environment.WEBHOOK_ALLOWED_URLS);
  return new AppConfig({
    databaseUrl: environment.DATABASE_URL,
    port: environment.PORT ?? 3000,
    host: environment.HOST ?? '0.0.0.0',
    httpRequestTimeoutMs: environment.HTTP_REQUEST_TIMEOUT_MS ?? 30_000,
    bootstrapAdminKey: environment.BOOTSTRAP_ADMIN_KEY,
    dbPoolSize: environment.DB_POOL_SIZE ?? 10,
    database,
    logLevel: environment.LOG_LEVEL ?? 'info',
    policyFile: environment.POLICY_FILE ?? 'policies/action-types.json',
    workerInProcess: environment.WORKER_IN_PROCESS === undefined ? undefined : environment.WORKER_IN_PROCESS === 'true',
    sweepIntervalMs: environment.SWEEP_INTERVAL_MS ?? 1000,
    worker: {
      workerId: environment.WORKER_ID ?? defaultWorkerId(),
      leaseMs,
      heartbeatMs: Math.max(100, Math.floor(leaseMs / 3)),
      concurrency: environment.WORKER_CONCURRENCY ?? 4,
      pollMs: environment.WORKER_POLL_MS ?? 1000,
      backoffBaseMs: environment.WORKER_BACKOFF_BASE_MS ?? 1000,
      abortGraceMs: environment.WORKER_ABORT_GRACE_MS ?? 2000,
      lockWaitMs: environment.WORKER_LOCK_WAIT_MS ?? 250,
      projectPattern: environment.WORKER_PROJECTS ?? '%',
      metricsPort: environment.WORKER_METRICS_PORT ?? null,
    },
    embedded: { dataDir: environment.EMBEDDED_PG_DATA_DIR ?? '.data/postgres', port: environment.EMBEDDED_PG_PORT ?? 54329 },
    oidc:
      environment.OIDC_ISSUER && environment.OIDC_AUDIENCE
        ? {
            issuer: environment.OIDC_ISSUER,
            audience: environment.OIDC_AUDIENCE,
            jwksUrl: environment.OIDC_JWKS_URL ?? null,
            rulesFile: environment.OIDC_RULES_FILE ?? 'policies/oidc-rules.json',
            maxTokenLifetimeSeconds: environment.OIDC_MAX_TOKEN_LIFETIME_S ?? 86_400,
          }
        : null,
    console: {
      oidcClientId: environment.OIDC_ISSUER ? (environment.CONSOLE_OIDC_CLIENT_ID ?? null) : null,
      publicUrl: environment.CONSOLE_URL ? environment.CONSOLE_URL.replace(/\/?$/, '/') : null,
    },
    identity: { personKeyIdleSeconds: (environment.PERSON_KEY_IDLE_DAYS ?? 30) * 86_400 },
    webhooks: {
      allowedUrls: webhookAllowlist,
      timeoutMs: environment.WEBHOOK_TIMEOUT_MS ?? 5000,
      maxAttempts: environment.WEBHOOK_MAX_ATTEMPTS ?? 10,
      backoffBaseMs: environment.WEBHOOK_BACKOFF_BASE_MS ?? 1000,
      concurrency: environment.WEBHOOK_CONCURRENCY ?? 8,
    },
    secrets: secretsOf(env),
  });
}

/**
 * The PostgreSQL session settings and TLS. TLS is said once: by DATABASE_SSL or by the URL's
 * sslmode (node-postgres lets the URL win silently, so both at once is refused). The CA file is
 * read here, so a missing one stops the start instead of the first connection.
 */
function databaseSettingsOf(environment: Environment): DatabaseSettings {
  const mode = environment.DATABASE_SSL ?? null;
  if (mode && environment.DATABASE_URL && /[?&]sslmode=/i.test(environment.DATABASE_URL)) {
    throw new ConfigError(
      'invalid configuration:\n  DATABASE_SSL must not be set when DATABASE_URL names an sslmode (say it once); got both',
    );
  }
  if (environment.DATABASE_SSL_CA_FILE && mode !== 'verify-full') {
    throw new ConfigError(
      `invalid configuration:\n  DATABASE_SSL_CA_FILE needs DATABASE_SSL=verify-full (a CA is only used to check the certificate); got DATABASE_SSL=${JSON.stringify(mode ?? '')}`,
    );
  }
  let ca: string | null = null;
  if (environment.DATABASE_SSL_CA_FILE) {
    try {
      ca = readFileSync(environment.DATABASE_SSL_CA_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `invalid configuration:\n  DATABASE_SSL_CA_FILE must name a readable PEM file; ${JSON.stringify(environment.DATABASE_SSL_CA_FILE)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigError(
        `invalid configuration:\n  DATABASE_SSL_CA_FILE must name a PEM file of certificates; ${JSON.stringify(environment.DATABASE_SSL_CA_FILE)} holds none`,
      );
    }
  }
  return {
    statementTimeoutMs: environment.DB_STATEMENT_TIMEOUT_MS ?? 30_000,
    idleInTransactionTimeoutMs: environment.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS ?? 60_000,
    connectTimeoutMs: environment.DB_CONNECT_TIMEOUT_MS ?? 10_000,
    ssl: mode ? { mode, ca } : null,
    migrationsRun: environment.MIGRATIONS_RUN !== 'false',
  };
}

/** WEBHOOK_ALLOWED_URLS: each entry must parse (a bad one stops the process, naming it). */
function parseAllowlist(value: string | undefined): UrlPrefix[] {
  if (!value) return [];
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  return entries.map((entry) => {
    const prefix = UrlPrefix.parse(entry);
    if (!prefix) {
      throw new ConfigError(
        `invalid configuration:\n  WEBHOOK_ALLOWED_URLS must be http:// or https:// URL prefixes without credentials, query or fragment (a port may be *); entry ${entries.indexOf(entry) + 1} is not (its text is not shown: it may hold a credential)`,
      );
    }
    return prefix;
  });
}

/** Text that is a whole decimal integer becomes a number; anything else stays text and fails IsInt. */
function toInteger(value: string): number | string {
  return /^-?[0-9]{1,15}$/.test(value.trim()) ? Number(value.trim()) : value;
}

function secretsOf(env: NodeJS.ProcessEnv): ReadonlyMap<string, string> {
  const secrets = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(SECRET_PREFIX) && name.length > SECRET_PREFIX.length && value) secrets.set(name.slice(SECRET_PREFIX.length), value);
  }
  return secrets;
}
