import { ConfigError, loadConfig } from '@lib/config';
import { freePort } from './free-port';
import { databaseOfRunningService } from './local-database';

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
});
