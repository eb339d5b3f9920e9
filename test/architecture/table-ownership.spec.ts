import { ownerOf, sourceFiles } from './source-files';
import { DECLARED_TABLES } from './tables';

/**
 * Each table belongs to one lib: only that lib's code names it in SQL. Other libs call the
 * owner's services, or read what the owner publishes in PostgreSQL (a view or function in
 * migrations/routines). The state machine writes the status of the axes each lib hands it.
 * Not checked: the schema itself (migrations/, which states cross-table invariants), the
 * benchmark's floor (tools/bench), which sends the create path's SQL straight on purpose, and
 * the fault campaign (tools/chaos), which checks the tables straight so as not to trust the
 * code it is checking.
 */
const OUTSIDE_OBSERVERS = ['tools/bench/', 'tools/chaos/'];
const files = [
  ...sourceFiles('libs'),
  ...sourceFiles('apps'),
  ...sourceFiles('scripts'),
  ...sourceFiles('tools').filter((file) => !OUTSIDE_OBSERVERS.some((folder) => file.path.startsWith(folder))),
];

/** SQL is sent as template literals; prose (comments, descriptions) is left alone. */
function touches(text: string, table: string): boolean {
  const sql = new RegExp(`\\b(FROM|JOIN|INTO|UPDATE|TABLE|ONLY)\\s+${table}\\b`, 'i');
  return [...text.matchAll(/`[^`]*`/g)].some(([literal]) => sql.test(literal));
}

describe('table ownership', () => {
  it('every table has one owner, and is declared once', () => {
    const names = DECLARED_TABLES.map((table) => table.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(DECLARED_TABLES.map((table) => [table.name, table.owner]))('%s is named in SQL only by libs/%s', (table, owner) => {
    const outside = files.filter((file) => touches(file.text, table) && ownerOf(file.path) !== owner).map((file) => file.path);
    expect(outside).toEqual([]);
  });

  it('a table declaration is used for SQL only inside its owner (the state machine gets the axes it is handed)', () => {
    const outside: string[] = [];
    for (const file of files) {
      for (const [, constant] of file.text.matchAll(/\b([A-Z_]+_TABLE)\.name\b/g)) {
        const table = DECLARED_TABLES.find(
          (candidate) => `${candidate.name.toUpperCase()}_TABLE` === constant || constantOf(candidate.name) === constant,
        );
        if (table && ownerOf(file.path) !== table.owner) outside.push(`${file.path}: ${constant}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('the check sees SQL (a test that cannot fail is a defect)', () => {
    expect(touches('query(`SELECT * FROM execution_runs WHERE id = $1`)', 'execution_runs')).toBe(true);
    expect(touches('query(`UPDATE approvals SET status = $3`)', 'approvals')).toBe(true);
    expect(touches('// reads the timeout from timeout_policies', 'timeout_policies')).toBe(false);
  });
});

function constantOf(table: string): string {
  return `${table.toUpperCase()}_TABLE`;
}
