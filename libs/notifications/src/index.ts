export * from './webhook.tables';
