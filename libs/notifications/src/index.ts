export * from './webhook.tables';
export * from './webhook.exception';
export * from './webhooks/webhook-signature';
export * from './webhooks/webhook-sender.service';
export * from './notifications.module';
