import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { TIMEOUT_POLICIES_TABLE } from '../execution.tables';

const DEFAULT_TIMEOUT_SECONDS = 300;

/** The execution lib's SQL for timeout_policies. */
@Injectable()
export class TimeoutPolicyRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** SLA class x action class; the action's own row wins over the class default ('*'). */
  async timeoutSecondsFor(input: { slaClass: string; action: string }): Promise<number> {
    const [row] = await this.uow.query<{ timeout_seconds: number }>(
      `SELECT timeout_seconds FROM ${TIMEOUT_POLICIES_TABLE.name} WHERE sla_class = $1 AND action_class IN ($2, '*') ORDER BY (action_class = '*') LIMIT 1`,
      [input.slaClass, input.action],
    );
    return row?.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS;
  }
}
