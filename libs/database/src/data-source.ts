import { DataSourceOptions } from 'typeorm';

/**
 * How the application talks to PostgreSQL. TypeORM is the connection pool, the migration runner
 * and the transaction carrier; there are no entities: SQL lives in each table owner's
 * repository and rows are typed by the table declarations (table.ts). The schema comes from
 * migrations only.
 */
export function buildDataSourceOptions(input: { url: string; poolSize: number }): DataSourceOptions {
  return {
    type: 'postgres',
    url: input.url,
    entities: [],
    synchronize: false,
    logging: false,
    extra: { max: input.poolSize, application_name: 'control-plane' },
  };
}
