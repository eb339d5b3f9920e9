import { readFileSync } from 'node:fs';
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

  it('the configuration table in docs/configuration.md is the one made from the schema', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    const start = readme.indexOf('<!-- config-table -->');
    const end = readme.indexOf('<!-- /config-table -->');
    expect(start).toBeGreaterThan(-1);
    expect(readme.slice(start + '<!-- config-table -->'.length, end).trim()).toBe(renderConfigTable());
  });
});
