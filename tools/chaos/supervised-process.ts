import { ExitStatus } from '@tools/harness';
import { CrashLog } from './crash-log';
import { errorText, progress } from './progress';

/** What the supervisor needs of a started process. */
export interface ManagedChild {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

const RESTART_ATTEMPTS = 5;

/**
 * One role of the stack (the API, a worker) kept running through the campaign. An exit the
 * campaign did not cause is a crash: it is recorded, and the role is started again once the
 * database is up, so the rest of the campaign still has its stack. `launch` gets the number of
 * the generation it starts (1, 2, …), for names that must differ between generations.
 */
export class SupervisedProcess<T extends ManagedChild> {
  private child: T | null = null;
  private generation = 0;
  private stopped = false;
  private restarting: Promise<void> | null = null;

  constructor(
    private readonly input: {
      readonly name: string;
      readonly logFile: string;
      readonly launch: (generation: number) => Promise<T>;
      readonly crashes: CrashLog;
      /** Resolves when the database is up: a process started while it is down would only fail to start. */
      readonly databaseUp: () => Promise<void>;
      /** True once the campaign is being interrupted: Ctrl-C reaches the whole process group, so exits are then no crashes. */
      readonly interrupted: () => boolean;
    },
  ) {}

  get current(): T {
    if (!this.child) throw new Error(`${this.input.name} is not running`);
    return this.child;
  }

  get name(): string {
    return this.input.name;
  }

  async start(): Promise<T> {
    const child = await this.input.launch(++this.generation);
    this.child = child;
    this.watch(child);
    return child;
  }

  /** kill -9, expected: not a crash. */
  async kill9(): Promise<void> {
    const child = this.child;
    this.child = null;
    await child?.kill9();
  }

  /** Waits for a restart after a crash to finish, if one is under way. */
  async settled(): Promise<void> {
    await this.restarting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.restarting?.catch(() => undefined);
    const child = this.child;
    this.child = null;
    await child?.stop();
  }

  private watch(child: T): void {
    void child.exited.then((status) => {
      if (this.child !== child || this.stopped || this.input.interrupted()) return;
      this.child = null;
      const crash = this.input.crashes.record({ process: this.input.name, pid: child.pid, status, logFile: this.input.logFile });
      progress(`CRASH: ${this.input.name} (pid ${child.pid}) exited on its own: code ${crash.code}, signal ${crash.signal}`);
      this.restarting = this.restartAfterCrash();
    });
  }

  private async restartAfterCrash(): Promise<void> {
    for (let attempt = 1; attempt <= RESTART_ATTEMPTS && !this.stopped && !this.input.interrupted(); attempt++) {
      try {
        await this.input.databaseUp();
        if (this.stopped || this.input.interrupted()) return;
        await this.start();
        progress(`${this.input.name} started again after its crash`);
        return;
      } catch (error) {
        progress(`restarting ${this.input.name} failed (attempt ${attempt}): ${errorText(error)}`);
      }
    }
  }
}
