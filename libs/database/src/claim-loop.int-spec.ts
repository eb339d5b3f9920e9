import { Client } from 'pg';
import { ClaimLoop } from './claim-loop';

/** The claim loop on a real LISTEN connection: slots, NOTIFY wakes, errors that do not stop it, and a stop that lets work finish. */
describe('the claim loop on PostgreSQL', () => {
  const url = () => process.env.DATABASE_URL as string;
  const channel = `claim_loop_${process.pid}`;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  async function notify(): Promise<void> {
    const client = new Client({ connectionString: url() });
    await client.connect();
    try {
      await client.query(`NOTIFY ${channel}`);
    } finally {
      await client.end();
    }
  }
  async function until(check: () => boolean): Promise<void> {
    for (let tries = 0; tries < 200 && !check(); tries++) await sleep(25);
    expect(check()).toBe(true);
  }

  it('never holds more than its slots, is woken by NOTIFY (no poll), reports a failed claim and goes on, and stop waits for what is in flight', async () => {
    const queue = [1, 2, 3, 4, 5];
    const done: number[] = [];
    const errors: unknown[] = [];
    let running = 0;
    let most = 0;
    let failNext = false;
    const loop = new ClaimLoop({
      connection: { connectionString: url() },
      channel,
      name: 'claim-loop-spec',
      pollMs: 3_600_000,
      concurrency: 2,
      awaitListener: true,
      onError: (error) => errors.push(error),
      claim: async (limit) => {
        if (failNext) {
          failNext = false;
          throw new Error('the claim failed');
        }
        const taken = queue.splice(0, limit);
        return {
          more: taken.length === limit,
          started: taken.map(async (item) => {
            running++;
            most = Math.max(most, running);
            await sleep(40);
            running--;
            done.push(item);
          }),
        };
      },
    });
    await loop.start();
    try {
      await until(() => done.length === 5);
      expect(most).toBe(2);
      failNext = true;
      queue.push(6);
      await notify();
      await until(() => errors.length === 1);
      expect(done).not.toContain(6);
      await notify();
      await until(() => done.includes(6));
      queue.push(7);
      await notify();
      await until(() => running === 1);
    } finally {
      await loop.stop();
    }
    expect(done).toContain(7);
    expect(loop.inFlight).toBe(0);
  });
});
