import { DataSourceOptions } from 'typeorm';
import { PgConnection } from './pg-connection';

/**
 * How the application talks to PostgreSQL. TypeORM is the connection pool, the migration runner
 * and the transaction carrier; there are no entities: SQL lives in each table owner's
 * repository and rows are typed by the table declarations (table.ts). The schema comes from
 * migrations only.
 */
export function buildDataSourceOptions(input: { connection: PgConnection; poolSize: number }): DataSourceOptions {
  return {
    type: 'postgres',
    url: input.connection.connectionString,
    entities: [],
    synchronize: false,
    logging: false,
    // TypeORM hands `extra` to node-postgres's Pool last: TLS and the session timeouts apply to every pooled connection.
    extra: { ...input.connection, max: input.poolSize, application_name: 'control-plane' },
  };
}
