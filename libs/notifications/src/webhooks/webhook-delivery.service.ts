import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/identity';
import { deliveryNotFound, NotificationsErrorCode, NotificationsException, webhookNotFound } from '../webhook.exception';
import { WebhookDeliveryStatus } from '../webhook.tables';
import { WebhookDeliveryRepository, WebhookDeliveryView } from './webhook-delivery.repository';
import { WebhookSubscriptionRepository } from './webhook-subscription.repository';

/** What an admin sees of a subscription's deliveries, and re-driving a dead one. */
@Injectable()
export class WebhookDeliveryService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly subscriptions: WebhookSubscriptionRepository,
    private readonly deliveries: WebhookDeliveryRepository,
  ) {}

  async list(
    principal: Principal,
    input: { projectId: string; subscriptionId: string; status?: WebhookDeliveryStatus; before?: string; limit: number },
  ): Promise<WebhookDeliveryView[]> {
    this.access.assertVisible(principal, Permission.WebhookManage, input.projectId, webhookNotFound);
    if (!(await this.subscriptions.find(input.projectId, input.subscriptionId))) throw webhookNotFound();
    return this.deliveries.list(input);
  }

  async redrive(
    principal: Principal,
    input: { projectId: string; subscriptionId: string; deliveryId: string; reason: string },
    ctx: CommandContext,
  ): Promise<WebhookDeliveryView> {
    this.access.assertVisible(principal, Permission.WebhookManage, input.projectId, webhookNotFound);
    return this.uow.run(async () => {
      if (!(await this.subscriptions.find(input.projectId, input.subscriptionId))) throw webhookNotFound();
      const delivery = await this.deliveries.find(input.subscriptionId, input.deliveryId, true);
      if (!delivery) throw deliveryNotFound();
      if (delivery.status !== WebhookDeliveryStatus.Dead) {
        throw new NotificationsException(NotificationsErrorCode.WebhookDeliveryNotDead, `the delivery is ${delivery.status}, not dead`, {
          status: delivery.status,
        });
      }
      const redriven = await this.deliveries.redrive(delivery.id);
      await this.subscriptions.clearPause(input.subscriptionId);
      await this.audit.record({
        type: AuditEventType.WebhookDeliveryRedriven,
        ctx,
        projectId: input.projectId,
        data: {
          subscription_id: input.subscriptionId,
          delivery_id: input.deliveryId,
          event_type: delivery.event_type,
          attempts_before: delivery.attempts,
          reason: input.reason,
        },
      });
      return redriven;
    });
  }
}
