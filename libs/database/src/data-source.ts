import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';

export const MIGRATIONS_TABLE = 'schema_migrations';

/** The one place that says how the application talks to PostgreSQL. The schema comes from migrations only. */
export function buildDataSourceOptions(input: {
  url: string;
  poolSize?: number;
  entities?: DataSourceOptions['entities'];
}): DataSourceOptions {
  return {
    type: 'postgres',
    url: input.url,
    entities: input.entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: input.poolSize ?? 10, application_name: 'control-plane' },
  };
}

export function createDataSource(input: { url: string; poolSize?: number }): DataSource {
  return new DataSource(buildDataSourceOptions(input));
}
