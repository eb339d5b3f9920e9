import { freePort } from '@lib/database';
import { answersReady, assertProductBuilt, loopbackUrl, ManagedProcess, nodeProgram, pause } from '@tools/harness';

const READY_POLL_MS = 200;
/** The watch compiler starts with the whole program: give it the time a loaded machine needs. */
const FIRST_COMPILE_MS = 240_000;

/**
 * `npm run start:dev` as a person runs it: the loop (dist/scripts/dev/start-dev.js) starts the
 * API under `nest start --watch`; stopping the loop stops the API too, never leaving it serving.
 */
describe('the development loop (npm run start:dev)', () => {
  it(
    'serves the API, and stops it when the loop is stopped',
    async () => {
      assertProductBuilt('the development loop runs dist/scripts/dev/start-dev.js');
      const url = loopbackUrl(await freePort());
      const loop = new ManagedProcess({
        program: nodeProgram('dist/scripts/dev/start-dev.js'),
        env: { PORT: new URL(url).port, HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
        stopGraceMs: 60_000,
      });
      try {
        while (!(await answersReady(url))) {
          if (!loop.running) throw new Error(`the loop exited before the API answered:\n${loop.logged()}`);
          await pause(READY_POLL_MS);
        }
      } finally {
        await loop.stop();
      }
      expect(await loop.exited).toEqual({ code: 0, signal: null });
      // The API was the loop's grandchild: it must have ended with it.
      expect(await answersReady(url)).toBe(false);
    },
    FIRST_COMPILE_MS + 60_000,
  );
});
