import { Injectable, Logger } from '@nestjs/common';
import { ExecutionRunRow } from '@lib/execution';
import { ActionType } from '@lib/governance';
import { ApprovalRow } from './approval.entity';

export interface ApprovedEvent {
  readonly run: ExecutionRunRow;
  readonly approval: ApprovalRow;
  readonly actionType: ActionType;
  readonly requestId: string;
}

export type ApprovedListener = (event: ApprovedEvent) => Promise<void>;

/**
 * Side effects of an approval, run after its transaction commits (never inside it). Listeners
 * are registered by higher libs (grants) at start, so this lib does not depend on them. A
 * listener that fails is logged; its work must be idempotent and is re-driven by the worker.
 */
@Injectable()
export class ApprovalEvents {
  private readonly logger = new Logger(ApprovalEvents.name);
  private readonly listeners: ApprovedListener[] = [];

  onApproved(listener: ApprovedListener): void {
    this.listeners.push(listener);
  }

  async approved(event: ApprovedEvent): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(event);
      } catch (error) {
        this.logger.error({ err: error, execution_id: event.run.id }, 'an approval listener failed; the worker will retry it');
      }
    }
  }
}
