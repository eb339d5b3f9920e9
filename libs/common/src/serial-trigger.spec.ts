import { SerialTrigger } from './serial-trigger';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('SerialTrigger', () => {
  it('fires that arrive together make one run; fires during a run make exactly one more', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const trigger = new SerialTrigger(
      () => {
        runs++;
        return new Promise<void>((resolve) => (release = resolve));
      },
      () => undefined,
    );
    trigger.fire();
    trigger.fire();
    await turn();
    expect(runs).toBe(1);
    trigger.fire();
    trigger.fire();
    release();
    await turn();
    await turn();
    expect(runs).toBe(2);
    release();
    await turn();
    await turn();
    expect(runs).toBe(2);
  });

  it('an error goes to onError, even one the reporter throws, and the trigger keeps working', async () => {
    const errors: unknown[] = [];
    let fail = true;
    let runs = 0;
    const trigger = new SerialTrigger(
      async () => {
        runs++;
        if (fail) throw new Error('boom');
      },
      (error) => {
        errors.push(error);
        throw new Error('the reporter failed');
      },
    );
    trigger.fire();
    await turn();
    await turn();
    expect(errors).toHaveLength(1);
    fail = false;
    trigger.fire();
    await turn();
    await turn();
    expect(runs).toBe(2);
  });

  it('does not start after stop', async () => {
    let runs = 0;
    const trigger = new SerialTrigger(
      async () => void runs++,
      () => undefined,
    );
    trigger.stop();
    trigger.fire();
    await turn();
    expect(runs).toBe(0);
  });
});
