import { ConfigError, loadConfig } from '@lib/config';
import { freePort } from './free-port';
import { databaseOfRunningService, isLocalDatabase } from './local-database';

describe('databaseOfRunningService (a command-line tool beside npm start)', () => {
  it('answers DATABASE_URL when it is set, without connecting', async () => {
    const url = 'postgres://someone@127.0.0.1:1/elsewhere';
    await expect(databaseOfRunningService(loadConfig({ DATABASE_URL: url }))).resolves.toBe(url);
  });

  it('without DATABASE_URL and with no embedded server answering, refuses and says what to do', async () => {
    const port = await freePort();
    const refusal = databaseOfRunningService(loadConfig({ EMBEDDED_PG_PORT: String(port) }));
    await expect(refusal).rejects.toThrow(ConfigError);
    await expect(refusal).rejects.toThrow(
      `DATABASE_URL is unset and no embedded server answers on port ${port}: start the service (npm start)`,
    );
  });

  it("knows npm start's own embedded database (the development loop's too) from any other", () => {
    const config = loadConfig({ EMBEDDED_PG_PORT: '54329' });
    expect(isLocalDatabase(config, 'postgres://postgres:postgres@127.0.0.1:54329/control_plane')).toBe(true);
    expect(isLocalDatabase(config, 'postgres://postgres:postgres@127.0.0.1:54329/other')).toBe(false);
    expect(isLocalDatabase(config, 'postgres://postgres:postgres@db.internal:54329/control_plane')).toBe(false);
    expect(isLocalDatabase(loadConfig({ EMBEDDED_PG_PORT: '5432' }), 'postgres://postgres:postgres@127.0.0.1:54329/control_plane')).toBe(
      false,
    );
  });
});
