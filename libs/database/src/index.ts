export * from './database.config';
export * from './data-source';
export * from './migration-runner';
export * from './embedded-postgres';
export * from './pg-errors';
export * from './unit-of-work';
export * from './database.module';
export * from './local-database';
