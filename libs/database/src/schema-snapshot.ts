import { Client } from 'pg';

/**
 * The schema of a database as text, normalised so that two databases with the same schema give
 * the same text whatever their data or history: every table's columns (in order, with type,
 * nullability and default), constraints, indexes, triggers, functions (their source as written)
 * and views, each sorted by name. Committed as migrations/schema.snapshot.sql, so every schema
 * change shows in review as a diff of it.
 */
export async function schemaSnapshot(url: string): Promise<string> {
  const client = new Client({ connectionString: url, application_name: 'control-plane-schema-snapshot' });
  await client.connect();
  try {
    const lines: string[] = ['-- The schema the migrations and routines make (npm run schema:snapshot writes it; a test compares).'];
    const rows = async (sql: string) => (await client.query<Record<string, string | boolean | null>>(sql)).rows;

    const columns = await rows(`
      SELECT c.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
             pg_get_expr(d.adbin, d.adrelid) AS dflt
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      ORDER BY c.relname COLLATE "C", a.attnum`);
    let table = '';
    for (const column of columns) {
      if (column.tbl !== table) {
        if (table) lines.push(');');
        table = column.tbl as string;
        lines.push('', `CREATE TABLE ${table} (`);
      }
      lines.push(`  ${column.col} ${column.type}${column.not_null ? ' NOT NULL' : ''}${column.dflt ? ` DEFAULT ${column.dflt}` : ''},`);
    }
    if (table) lines.push(');');

    const section = (title: string, entries: string[]) => {
      lines.push('', `-- ${title}`, ...entries);
    };
    section(
      'constraints',
      (
        await rows(`
        SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(p.oid) AS def
        FROM pg_constraint p JOIN pg_namespace n ON n.oid = p.connamespace
        WHERE n.nspname = 'public' AND p.conrelid <> 0 AND p.contype <> 'n' -- NOT NULL: said on the column (PostgreSQL 18 also lists it here)
        ORDER BY conrelid::regclass::text COLLATE "C", conname COLLATE "C"`)
      ).map((row) => `ALTER TABLE ${row.tbl} ADD CONSTRAINT ${row.conname} ${row.def};`),
    );
    section(
      'indexes',
      (await rows(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename COLLATE "C", indexname COLLATE "C"`)).map(
        (row) => `${row.indexdef};`,
      ),
    );
    section(
      'triggers',
      (
        await rows(`
        SELECT pg_get_triggerdef(t.oid) AS def FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND NOT t.tgisinternal
        ORDER BY c.relname COLLATE "C", t.tgname COLLATE "C"`)
      ).map((row) => `${row.def};`),
    );
    for (const fn of await rows(`
      SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args, pg_get_function_result(p.oid) AS result,
             l.lanname AS language, p.prosrc AS source
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
      WHERE n.nspname = 'public'
      ORDER BY p.proname COLLATE "C", pg_get_function_identity_arguments(p.oid) COLLATE "C"`)) {
      lines.push(
        '',
        `-- function ${fn.name}(${fn.args}) RETURNS ${fn.result} LANGUAGE ${fn.language}`,
        normaliseSource(fn.source as string),
      );
    }
    for (const view of await rows(
      `SELECT viewname AS name, definition FROM pg_views WHERE schemaname = 'public' ORDER BY viewname COLLATE "C"`,
    )) {
      lines.push('', `-- view ${view.name}`, normaliseSource(unqualified(view.definition as string)));
    }
    return `${lines.join('\n')}\n`;
  } finally {
    await client.end();
  }
}

/**
 * A view's definition is PostgreSQL's own rendering of it, which qualifies column names in
 * some major versions (15: `execution_runs.id`) and not in others (18: `id`): unqualified, the
 * snapshot is the same on both. Outside quoted text only.
 */
function unqualified(definition: string): string {
  return definition
    .split(/('(?:[^']|'')*')/)
    .map((part, index) => (index % 2 === 1 ? part : part.replace(/\b[a-z_][a-z0-9_]*\.(?=[a-z_"])/g, '')))
    .join('');
}

/** Indentation and blank lines as the routine files happen to have them are not the schema. */
function normaliseSource(source: string): string {
  return source
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n');
}
