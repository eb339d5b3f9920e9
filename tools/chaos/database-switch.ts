/** Whether the campaign's PostgreSQL is up; lets a crashed process wait for it before starting again. */
export class DatabaseSwitch {
  private up = true;
  private waiters: (() => void)[] = [];

  markDown(): void {
    this.up = false;
  }

  markUp(): void {
    this.up = true;
    for (const wake of this.waiters.splice(0)) wake();
  }

  whenUp(): Promise<void> {
    return this.up ? Promise.resolve() : new Promise((resolveUp) => this.waiters.push(resolveUp));
  }
}
