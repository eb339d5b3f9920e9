import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderConfigTable } from './config-table';
import { ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('gives every setting its default when the environment is empty', () => {
    const config = loadConfig({});
    expect(config.values).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      dbPoolSize: 10,
      logLevel: 'info',
      sweepIntervalMs: 1000,
      workerInProcess: undefined,
    });
    expect(config.worker).toMatchObject({ leaseMs: 15_000, heartbeatMs: 5_000, concurrency: 4, pollMs: 1000, projectPattern: '%' });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('stops on a bad value, naming the variable, its rule and the value (never a 1 ms loop)', () => {
    expect(() => loadConfig({ SWEEP_INTERVAL_MS: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ SWEEP_INTERVAL_MS: 'abc' })).toThrow(
      'SWEEP_INTERVAL_MS must be an integer from 10 to 3600000 (milliseconds); got "abc"',
    );
    expect(() => loadConfig({ SWEEP_INTERVAL_MS: '1' })).toThrow(/SWEEP_INTERVAL_MS must be an integer from 10/);
    expect(() => loadConfig({ WORKER_LEASE_MS: '1.5' })).toThrow(/WORKER_LEASE_MS must be an integer/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/);
    expect(() => loadConfig({ WORKER_IN_PROCESS: 'yes' })).toThrow(/WORKER_IN_PROCESS must be true or false/);
  });

  it('names every bad variable at once, and never prints a key or a URL it refuses', () => {
    let message = '';
    try {
      loadConfig({ PORT: '99999', BOOTSTRAP_ADMIN_KEY: 'short-secret', DATABASE_URL: 'mysql://user:pw@host/db' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/PORT must be an integer from 1 to 65535; got "99999"/);
    expect(message).toMatch(/BOOTSTRAP_ADMIN_KEY must be 16 to 512 characters long; got \(hidden\)/);
    expect(message).toMatch(/DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL; got \(hidden\)/);
    expect(message).not.toContain('short-secret');
    expect(message).not.toContain('pw@host');
  });

  it('reads settings and secrets; an empty variable counts as unset', () => {
    const config = loadConfig({ PORT: '8080', WORKER_IN_PROCESS: 'false', WORKER_LEASE_MS: '', SECRET_DB_PASSWORD: 'hunter2-hunter2' });
    expect(config.values.port).toBe(8080);
    expect(config.values.workerInProcess).toBe(false);
    expect(config.worker.leaseMs).toBe(15_000);
    expect(config.secret('db_password')).toBe('hunter2-hunter2');
    expect(config.secret('missing')).toBeNull();
  });

  it("the worker's metrics endpoint is off unless WORKER_METRICS_PORT is set; 0 takes a free port", () => {
    expect(loadConfig({}).worker.metricsPort).toBeNull();
    expect(loadConfig({ WORKER_METRICS_PORT: '0' }).worker.metricsPort).toBe(0);
    expect(loadConfig({ WORKER_METRICS_PORT: '9464' }).worker.metricsPort).toBe(9464);
    expect(() => loadConfig({ WORKER_METRICS_PORT: '70000' })).toThrow(/WORKER_METRICS_PORT must be an integer from 0 to 65535/);
  });

  it('sets the PostgreSQL session timeouts, TLS and the migrations switch; refuses bad values at start', () => {
    expect(loadConfig({}).values.database).toEqual({
      statementTimeoutMs: 30_000,
      idleInTransactionTimeoutMs: 60_000,
      connectTimeoutMs: 10_000,
      ssl: null,
      migrationsRun: true,
    });
    const set = loadConfig({
      DB_STATEMENT_TIMEOUT_MS: '0',
      DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '5000',
      MIGRATIONS_RUN: 'false',
      DATABASE_SSL: 'require',
    });
    expect(set.values.database).toMatchObject({
      statementTimeoutMs: 0,
      idleInTransactionTimeoutMs: 5000,
      migrationsRun: false,
      ssl: { mode: 'require', ca: null },
    });
    expect(() => loadConfig({ DB_STATEMENT_TIMEOUT_MS: '-1' })).toThrow(
      'DB_STATEMENT_TIMEOUT_MS must be an integer from 0 to 3600000 (milliseconds); got "-1"',
    );
    expect(() => loadConfig({ DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '10s' })).toThrow(/DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be an integer/);
    expect(() => loadConfig({ DB_CONNECT_TIMEOUT_MS: '5' })).toThrow(/DB_CONNECT_TIMEOUT_MS must be an integer from 100 to 600000/);
    expect(() => loadConfig({ MIGRATIONS_RUN: 'no' })).toThrow(/MIGRATIONS_RUN must be true or false; got "no"/);
    expect(() => loadConfig({ DATABASE_SSL: 'prefer' })).toThrow(/DATABASE_SSL must be one of disable, require, verify-full; got "prefer"/);
  });

  it("says TLS once: DATABASE_SSL or the URL's sslmode; a CA file must be readable PEM, with verify-full", () => {
    const both = { DATABASE_SSL: 'require', DATABASE_URL: 'postgres://u:secret-pw@db:5432/cp?sslmode=require' };
    expect(() => loadConfig(both)).toThrow(/DATABASE_SSL must not be set when DATABASE_URL names an sslmode/);
    expect(() => loadConfig(both)).not.toThrow(/secret-pw/);
    expect(() => loadConfig({ DATABASE_SSL_CA_FILE: __filename })).toThrow(/DATABASE_SSL_CA_FILE needs DATABASE_SSL=verify-full/);
    expect(() => loadConfig({ DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: '/no/such/ca.pem' })).toThrow(
      /DATABASE_SSL_CA_FILE must name a readable PEM file; "\/no\/such\/ca.pem" cannot be read \(ENOENT\)/,
    );
    const notPem = join(__dirname, '..', '..', '..', 'package.json');
    expect(() => loadConfig({ DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: notPem })).toThrow(/holds none/);
    const dir = mkdtempSync(join(tmpdir(), 'cp-ca-'));
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(join(dir, 'ca.pem'), pem);
    try {
      expect(loadConfig({ DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: join(dir, 'ca.pem') }).values.database.ssl).toEqual({
        mode: 'verify-full',
        ca: pem,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the configuration table in docs/configuration.md is the one made from the schema', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    const start = readme.indexOf('<!-- config-table -->');
    const end = readme.indexOf('<!-- /config-table -->');
    expect(start).toBeGreaterThan(-1);
    expect(readme.slice(start + '<!-- config-table -->'.length, end).trim()).toBe(renderConfigTable());
  });
});
