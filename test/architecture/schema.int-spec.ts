import { Pool } from 'pg';
import { openTestPool } from '../support/db';
import { DECLARED_TABLES } from './tables';

/** The row types are derived from the table declarations; this keeps the declarations equal to the live schema. */
describe('table declarations match the schema', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = openTestPool();
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('every table in the database is declared by exactly one lib', async () => {
    const { rows } = await pool.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const live = rows.map((row) => row.table_name as string).filter((name) => !name.startsWith('uow_probe_'));
    expect(live).toEqual(DECLARED_TABLES.map((table) => table.name).sort());
  });

  it.each(DECLARED_TABLES.map((table) => [table.name, table]))(
    '%s: every column, its type and whether it may be null',
    async (_name, table) => {
      const { rows } = await pool.query(
        `SELECT column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [table.name],
      );
      const live = Object.fromEntries(rows.map((row) => [row.column_name, row.is_nullable === 'YES' ? `${row.udt_name}?` : row.udt_name]));
      expect(live).toEqual(table.columns);
    },
  );
});
