import { DomainException } from '@lib/common';

export enum NotificationsErrorCode {
  WebhookNotFound = 'webhook_not_found',
  /** The URL is not under any prefix of WEBHOOK_ALLOWED_URLS (or nothing is allowed). */
  WebhookUrlNotAllowed = 'webhook_url_not_allowed',
  WebhookDeliveryNotFound = 'webhook_delivery_not_found',
  /** A project has as many subscriptions as it may (MAX_SUBSCRIPTIONS_PER_PROJECT, active or not). */
  WebhookLimitReached = 'webhook_limit_reached',
  /** Only a dead delivery can be re-driven. */
  WebhookDeliveryNotDead = 'webhook_delivery_not_dead',
}

/**
 * The HTTP status each code is answered with, beside the codes: a new code without one fails to
 * compile. The API's error filter reads every lib's table.
 */
export const NOTIFICATIONS_ERROR_STATUS: Readonly<Record<NotificationsErrorCode, number>> = {
  [NotificationsErrorCode.WebhookNotFound]: 404,
  [NotificationsErrorCode.WebhookUrlNotAllowed]: 422,
  [NotificationsErrorCode.WebhookDeliveryNotFound]: 404,
  [NotificationsErrorCode.WebhookLimitReached]: 409,
  [NotificationsErrorCode.WebhookDeliveryNotDead]: 409,
};

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    notifications: NotificationsErrorCode;
  }
}

export class NotificationsException extends DomainException<NotificationsErrorCode> {}

export function webhookNotFound(): NotificationsException {
  return new NotificationsException(NotificationsErrorCode.WebhookNotFound, 'no such webhook subscription in this project');
}

export function deliveryNotFound(): NotificationsException {
  return new NotificationsException(NotificationsErrorCode.WebhookDeliveryNotFound, 'no such delivery of this webhook subscription');
}
