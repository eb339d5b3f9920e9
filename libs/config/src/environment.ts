import { applyDecorators } from '@nestjs/common';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';

/**
 * Every environment variable the processes read, with its rule. `loadConfig` validates the
 * environment against this class once, at start; the configuration table in docs/configuration.md is made from
 * the `@Variable` notes (and a test keeps the two equal).
 */
export interface VariableNote {
  readonly name: string;
  /** What an unset variable means, as docs/configuration.md says it. */
  readonly default: string;
  readonly meaning: string;
}

const NOTES: VariableNote[] = [];

function Variable(note: Omit<VariableNote, 'name'>): PropertyDecorator {
  return (_target, property) => {
    NOTES.push({ name: String(property), ...note });
  };
}

export function variableNotes(): readonly VariableNote[] {
  return NOTES;
}

/** An optional whole number in a range; one message names the rule. */
function IntegerVariable(min: number, max: number, unit?: string): PropertyDecorator {
  const message = `must be an integer from ${min} to ${max}${unit ? ` (${unit})` : ''}`;
  return applyDecorators(IsOptional(), IsInt({ message }), Min(min, { message }), Max(max, { message }));
}

/** Optional text of a bounded length. */
function TextVariable(max: number, message: string): PropertyDecorator {
  return applyDecorators(IsOptional(), IsString({ message }), Length(1, max, { message }));
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DATABASE_SSL_MODES = ['disable', 'require', 'verify-full'] as const;
export type DatabaseSslMode = (typeof DATABASE_SSL_MODES)[number];

const POSTGRES_URL = /^postgres(ql)?:\/\/\S+$/;
const HTTP_URL = /^https?:\/\/[^\s/]+(\/\S*)?$/;
const BOOLEAN = ['true', 'false'];

/** Raw variables (text, as the environment holds them) and the rule each must follow. */
export class Environment {
  @Variable({
    default: 'unset → embedded PostgreSQL',
    meaning: 'PostgreSQL to use, e.g. `postgres://user:pass@127.0.0.1:5432/control_plane`',
  })
  @IsOptional()
  @Matches(POSTGRES_URL, { message: 'must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @Variable({ default: '`3000`', meaning: 'HTTP port' })
  @IntegerVariable(1, 65535)
  PORT?: number;

  @Variable({ default: '`30000`', meaning: 'a request (headers and body) must arrive within this long, or it is answered 408 and closed' })
  @IntegerVariable(1000, 600_000, 'milliseconds')
  HTTP_REQUEST_TIMEOUT_MS?: number;

  @Variable({ default: '`0.0.0.0`', meaning: 'HTTP bind address' })
  @TextVariable(255, 'must be a host name or address')
  HOST?: string;

  @Variable({
    default: 'unset',
    meaning:
      'made an admin key for all projects at start (16+ characters); with `DATABASE_URL` set, the API refuses to start without it while the database holds no usable admin key and OIDC sign-in is off (unset it once an admin exists)',
  })
  @IsOptional()
  @IsString()
  @Length(16, 512, { message: 'must be 16 to 512 characters long' })
  BOOTSTRAP_ADMIN_KEY?: string;

  @Variable({ default: '`10`', meaning: 'connections in the pool of each process (fewer backends than clients ran faster on 2 cores)' })
  @IntegerVariable(1, 100)
  DB_POOL_SIZE?: number;

  @Variable({
    default: '`30000`',
    meaning:
      'a statement of the API or a worker running longer is cancelled by PostgreSQL (answered 503 `database_timeout`); `0` turns it off. Migrations are not bound by it',
  })
  @IntegerVariable(0, 3_600_000, 'milliseconds')
  DB_STATEMENT_TIMEOUT_MS?: number;

  @Variable({
    default: '`60000`',
    meaning: 'PostgreSQL ends a session that stays this long inside a transaction without a statement; `0` turns it off',
  })
  @IntegerVariable(0, 3_600_000, 'milliseconds')
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS?: number;

  @Variable({ default: '`10000`', meaning: 'a new PostgreSQL connection must be made within this long (then the request is answered 503)' })
  @IntegerVariable(100, 600_000, 'milliseconds')
  DB_CONNECT_TIMEOUT_MS?: number;

  @Variable({
    default: "unset → as `DATABASE_URL`'s `sslmode` says (none: no TLS)",
    meaning:
      'TLS to PostgreSQL: `disable`, `require` (encrypted, the certificate is not checked) or `verify-full` (the certificate must chain to a trusted CA and name the host); not together with `sslmode` in `DATABASE_URL`',
  })
  @IsOptional()
  @IsIn(DATABASE_SSL_MODES, { message: `must be one of ${DATABASE_SSL_MODES.join(', ')}` })
  DATABASE_SSL?: DatabaseSslMode;

  @Variable({
    default: "unset → Node's trusted CAs",
    meaning: "a PEM file of the CA that signed PostgreSQL's certificate; with `DATABASE_SSL=verify-full`",
  })
  @TextVariable(4096, 'must name a file')
  DATABASE_SSL_CA_FILE?: string;

  @Variable({
    default: '`true`',
    meaning:
      'the API and the worker bring the schema forward at start; `false`: they refuse to start on a database whose schema is behind, and `npm run migrate` applies it',
  })
  @IsOptional()
  @IsIn(BOOLEAN, { message: 'must be true or false' })
  MIGRATIONS_RUN?: string;

  @Variable({ default: '`info`', meaning: `pino level (${LOG_LEVELS.map((level) => `\`${level}\``).join(', ')})` })
  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: LogLevel;

  @Variable({ default: '`policies/action-types.json`', meaning: 'the action-type policy' })
  @TextVariable(4096, 'must name a file')
  POLICY_FILE?: string;

  @Variable({
    default: '`true` on the embedded database, else `false`',
    meaning: 'run the worker (sweeper and execution runner) inside the API process',
  })
  @IsOptional()
  @IsIn(BOOLEAN, { message: 'must be true or false' })
  WORKER_IN_PROCESS?: string;

  @Variable({ default: '`1000`', meaning: 'how often the sweeper looks for overdue approvals and grants' })
  @IntegerVariable(10, 3_600_000, 'milliseconds')
  SWEEP_INTERVAL_MS?: number;

  @Variable({ default: '`<host>:<pid>:<random>`', meaning: 'the name a worker process leases runs under' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'must be 1 to 128 characters of A-Z a-z 0-9 . _ : -' })
  WORKER_ID?: string;

  @Variable({ default: '`4`', meaning: 'runs one worker process carries out at once' })
  @IntegerVariable(1, 64)
  WORKER_CONCURRENCY?: number;

  @Variable({ default: '`15000`', meaning: 'lease length; the heartbeat renews it every third of that' })
  @IntegerVariable(300, 3_600_000, 'milliseconds')
  WORKER_LEASE_MS?: number;

  @Variable({ default: '`1000`', meaning: 'fallback poll (NOTIFY wakes the worker at once) and reaper tick' })
  @IntegerVariable(10, 600_000, 'milliseconds')
  WORKER_POLL_MS?: number;

  @Variable({ default: '`1000`', meaning: 'first retry delay, doubled per attempt, with jitter' })
  @IntegerVariable(1, 600_000, 'milliseconds')
  WORKER_BACKOFF_BASE_MS?: number;

  @Variable({ default: '`2000`', meaning: 'how long a step may ignore its abort before it is abandoned' })
  @IntegerVariable(1, 600_000, 'milliseconds')
  WORKER_ABORT_GRACE_MS?: number;

  @Variable({ default: '`250`', meaning: 'how long a run whose target is locked waits before it is offered again' })
  @IntegerVariable(1, 600_000, 'milliseconds')
  WORKER_LOCK_WAIT_MS?: number;

  @Variable({
    default: 'unset → off',
    meaning:
      "port of a worker process's Prometheus endpoint (`GET /metrics`) and liveness probe (`GET /health/live`), no credential: bind it to a private network; `0` takes a free port",
  })
  @IntegerVariable(0, 65535)
  WORKER_METRICS_PORT?: number;

  @Variable({ default: '`%`', meaning: 'which projects a worker serves (a SQL LIKE pattern)' })
  @TextVariable(255, 'must be a LIKE pattern of 1 to 255 characters')
  WORKER_PROJECTS?: string;

  @Variable({
    default: 'unset → SSO sign-in off',
    meaning: 'the OIDC issuer whose access tokens are accepted (its `iss`), e.g. `https://login.example.com/realms/ops`',
  })
  @IsOptional()
  @Matches(HTTP_URL, { message: 'must be an http:// or https:// URL' })
  OIDC_ISSUER?: string;

  @Variable({ default: 'unset', meaning: 'the audience (`aud`) an access token must name; required with `OIDC_ISSUER`' })
  @TextVariable(512, 'must be 1 to 512 characters')
  OIDC_AUDIENCE?: string;

  @Variable({ default: "from the issuer's discovery document", meaning: 'where the issuer publishes its signing keys (JWKS)' })
  @IsOptional()
  @Matches(HTTP_URL, { message: 'must be an http:// or https:// URL' })
  OIDC_JWKS_URL?: string;

  @Variable({
    default: 'unset → the console signs in with an API key only',
    meaning:
      'the OIDC client id of the operator console (a public client: authorization code with PKCE, redirect URI `<API>/console/`); with `OIDC_ISSUER`, the console offers single sign-on',
  })
  @TextVariable(256, 'must be 1 to 256 characters')
  CONSOLE_OIDC_CLIENT_ID?: string;

  @Variable({
    default: 'unset → webhook payloads carry no link',
    meaning: "the console's public address, e.g. `https://ops.example.com/console/`: webhook payloads link each run's page under it",
  })
  @IsOptional()
  @Matches(HTTP_URL, { message: 'must be an http:// or https:// URL' })
  CONSOLE_URL?: string;

  @Variable({ default: '`policies/oidc-rules.json`', meaning: 'the rules that map token claims to roles and project scopes' })
  @TextVariable(4096, 'must name a file')
  OIDC_RULES_FILE?: string;

  @Variable({
    default: '`86400`',
    meaning:
      'the longest lifetime (`exp` − `iat`) an access token may have; a token that claims a longer one, or is issued more than 60 s in the future, is refused',
  })
  @IntegerVariable(60, 2_592_000, 'seconds')
  OIDC_MAX_TOKEN_LIFETIME_S?: number;

  @Variable({
    default: '`30`',
    meaning:
      "a person's API keys are suspended (401 `api_key_suspended`) when the person has not signed in through the identity provider for this many days; signing in again lifts it",
  })
  @IntegerVariable(1, 3650, 'days')
  PERSON_KEY_IDLE_DAYS?: number;

  @Variable({
    default: 'unset → no webhook URL is allowed',
    meaning:
      "where webhooks may be sent: comma-separated URL prefixes, e.g. `https://hooks.example.com/,http://10.0.0.5:8080/hooks/` (scheme, host and port must match; `:*` allows any port; the path must start with the prefix's)",
  })
  @TextVariable(4096, 'must be a comma-separated list of http:// or https:// URL prefixes')
  WEBHOOK_ALLOWED_URLS?: string;

  @Variable({ default: '`5000`', meaning: 'a webhook receiver must answer within this long, or the attempt failed' })
  @IntegerVariable(100, 60_000, 'milliseconds')
  WEBHOOK_TIMEOUT_MS?: number;

  @Variable({ default: '`10`', meaning: 'attempts of a webhook delivery before it is dead (re-drivable by an admin)' })
  @IntegerVariable(1, 50)
  WEBHOOK_MAX_ATTEMPTS?: number;

  @Variable({ default: '`1000`', meaning: 'first webhook retry delay, doubled per attempt (at most an hour), with jitter' })
  @IntegerVariable(1, 3_600_000, 'milliseconds')
  WEBHOOK_BACKOFF_BASE_MS?: number;

  @Variable({ default: '`8`', meaning: 'webhook deliveries one worker process sends at once' })
  @IntegerVariable(1, 64)
  WEBHOOK_CONCURRENCY?: number;

  @Variable({ default: '`.data/postgres`', meaning: 'data directory of the embedded server' })
  @TextVariable(4096, 'must name a directory')
  EMBEDDED_PG_DATA_DIR?: string;

  @Variable({ default: '`54329`', meaning: 'port of the embedded server' })
  @IntegerVariable(1, 65535)
  EMBEDDED_PG_PORT?: number;
}

/** Secrets are named by their suffix; their values are checked when a run resolves them. */
export const SECRET_PREFIX = 'SECRET_';
export const SECRET_NOTE: VariableNote = {
  name: `${SECRET_PREFIX}<NAME>`,
  default: '—',
  meaning: 'the value of `{"$secret": "<name>"}` (8 characters at least)',
};
