import { loadConfig } from '@lib/config';
import { checkServerVersion, pgConnectionOf, UnsupportedServerError } from './pg-connection';

describe('pgConnectionOf', () => {
  const url = 'postgres://cp@127.0.0.1:5432/cp';

  it('opens every connection with the configured timeouts; the migrations without the statement timeout', () => {
    const config = loadConfig({ DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: '1500', DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '2500' });
    expect(pgConnectionOf(config)).toEqual({
      connectionString: url,
      statement_timeout: 1500,
      idle_in_transaction_session_timeout: 2500,
      connectionTimeoutMillis: 10_000,
    });
    expect(pgConnectionOf(config, { statementTimeout: false })).not.toHaveProperty('statement_timeout');
    const off = pgConnectionOf(loadConfig({ DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: '0', DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '0' }));
    expect(off).not.toHaveProperty('statement_timeout');
    expect(off).not.toHaveProperty('idle_in_transaction_session_timeout');
  });

  it('maps DATABASE_SSL to node-postgres TLS options as libpq reads its sslmode', () => {
    const ssl = (mode: string) => pgConnectionOf(loadConfig({ DATABASE_URL: url, DATABASE_SSL: mode })).ssl;
    expect(ssl('disable')).toBe(false);
    expect(ssl('require')).toEqual({ rejectUnauthorized: false });
    expect(ssl('verify-full')).toEqual({ rejectUnauthorized: true });
    expect(pgConnectionOf(loadConfig({ DATABASE_URL: url }))).not.toHaveProperty('ssl');
  });
});

describe('checkServerVersion', () => {
  it('refuses a server below PostgreSQL 15, naming the range; warns above 18', () => {
    expect(() => checkServerVersion(140011)).toThrow(UnsupportedServerError);
    expect(() => checkServerVersion(140011)).toThrow('PostgreSQL 14 is not supported: this release needs PostgreSQL 15 to 18');
    expect(checkServerVersion(150004)).toEqual({ major: 15, warning: null });
    expect(checkServerVersion(180001)).toEqual({ major: 18, warning: null });
    expect(checkServerVersion(190000).warning).toMatch(/PostgreSQL 19 is newer than this release is tested on \(15 to 18\)/);
  });
});
