import { Injectable } from '@nestjs/common';
import { DeadLetterRepository } from './repositories/dead-letter.repository';
import { ExecutionRunRepository, QueueSnapshot } from './repositories/execution-run.repository';

export type { QueueSnapshot } from './repositories/execution-run.repository';

/** Facts about runs across every project, for metrics. No access checks here: callers make them. */
@Injectable()
export class ExecutionStatisticsService {
  constructor(
    private readonly runs: ExecutionRunRepository,
    private readonly deadLetters: DeadLetterRepository,
  ) {}

  runsByStatus(): Promise<Map<string, number>> {
    return this.runs.countByStatus();
  }

  queue(): Promise<QueueSnapshot> {
    return this.runs.queueSnapshot();
  }

  openDeadLetters(): Promise<number> {
    return this.deadLetters.countOpen();
  }
}
