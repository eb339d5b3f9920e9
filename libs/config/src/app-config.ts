import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DatabaseSslMode, LogLevel } from './environment';
import { UrlPrefix } from './url-prefix';

/** How a worker process behaves. */
export interface WorkerSettings {
  readonly workerId: string;
  /** How long a claim stays valid without a heartbeat. */
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** Runs carried out at once by this process. */
  readonly concurrency: number;
  /** Fallback poll when no NOTIFY arrives, and the reaper's tick. */
  readonly pollMs: number;
  /** First retry delay; doubled per attempt, with jitter. */
  readonly backoffBaseMs: number;
  /** How long after a cancel request or timeout a step that ignores its abort is abandoned. */
  readonly abortGraceMs: number;
  /** How long a run whose target is locked waits before it is offered again. */
  readonly lockWaitMs: number;
  /** Projects this worker serves, as a LIKE pattern (`%`: all). */
  readonly projectPattern: string;
  /** Port of the worker's Prometheus endpoint (0: a free one); null: none. */
  readonly metricsPort: number | null;
}

/** Sign-in with access tokens from the organisation's identity provider (OIDC); null when off. */
export interface OidcSettings {
  readonly issuer: string;
  readonly audience: string;
  /** Null: read from the issuer's discovery document. */
  readonly jwksUrl: string | null;
  readonly rulesFile: string;
  /** A token whose `exp` − `iat` (or `exp` − now) is longer is refused. */
  readonly maxTokenLifetimeSeconds: number;
}

/** Principals and their credentials. */
export interface IdentitySettings {
  /** A person's keys are suspended once the person has not signed in for this long. */
  readonly personKeyIdleSeconds: number;
}

/** Sending webhooks (the outbox's deliveries). */
export interface WebhookSettings {
  /** Where a subscription may point; empty: nowhere (fail closed). */
  readonly allowedUrls: readonly UrlPrefix[];
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  /** Deliveries one process sends at once. */
  readonly concurrency: number;
}

/** The PostgreSQL sessions of the API and the worker (every pool and listener connection). */
export interface DatabaseSettings {
  /** PostgreSQL's statement_timeout on every connection but the migrations'; 0: none. */
  readonly statementTimeoutMs: number;
  /** PostgreSQL's idle_in_transaction_session_timeout; 0: none. */
  readonly idleInTransactionTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Null: as the URL's sslmode says. `ca` is the PEM text of DATABASE_SSL_CA_FILE. */
  readonly ssl: { readonly mode: DatabaseSslMode; readonly ca: string | null } | null;
  /** Whether the API and the worker apply migrations at start (else they refuse a schema that is behind). */
  readonly migrationsRun: boolean;
}

export interface EmbeddedDatabaseSettings {
  readonly dataDir: string;
  readonly port: number;
}

/**
 * The validated configuration of one process, read from the environment once (loadConfig) and
 * injected wherever a setting is needed. Nothing else reads process.env.
 */
export class AppConfig {
  constructor(
    readonly values: {
      readonly databaseUrl: string | undefined;
      readonly port: number;
      readonly host: string;
      readonly httpRequestTimeoutMs: number;
      readonly bootstrapAdminKey: string | undefined;
      readonly dbPoolSize: number;
      readonly database: DatabaseSettings;
      readonly logLevel: LogLevel;
      readonly policyFile: string;
      /** Unset: the caller decides (npm start runs the worker in-process on the embedded database). */
      readonly workerInProcess: boolean | undefined;
      readonly sweepIntervalMs: number;
      readonly worker: WorkerSettings;
      readonly embedded: EmbeddedDatabaseSettings;
      readonly oidc: OidcSettings | null;
      /** The operator console: its OIDC client id (null: key sign-in only) and public address for links (null: none). */
      readonly console: { readonly oidcClientId: string | null; readonly publicUrl: string | null };
      readonly identity: IdentitySettings;
      readonly webhooks: WebhookSettings;
      readonly secrets: ReadonlyMap<string, string>;
    },
  ) {}

  get databaseUrl(): string | undefined {
    return this.values.databaseUrl;
  }

  get worker(): WorkerSettings {
    return this.values.worker;
  }

  /** The same configuration on another database (npm start, once the embedded server is up). */
  withDatabaseUrl(url: string): AppConfig {
    return new AppConfig({ ...this.values, databaseUrl: url });
  }

  /** The value of SECRET_<NAME>, or null. */
  secret(name: string): string | null {
    return this.values.secrets.get(name.toUpperCase()) ?? null;
  }
}

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
