import { Client } from 'pg';
import { BENCH_PROJECT } from './run-request';

/**
 * Whether the floor still writes what the API's create path writes: for one run made by each,
 * the audit event types, the rows per table that reference the run, and which columns of the
 * run and of its approval are filled. The floor is a hand-written mirror; this catches drift.
 */
export async function compareFloorWithApi(input: { url: string; apiKeyPrefix: string; floorKeyPrefix: string }): Promise<string[]> {
  const client = new Client({ connectionString: input.url, application_name: 'cp-bench-parity' });
  await client.connect();
  try {
    const tables = await tablesReferencingRuns(client);
    const api = await footprintOf(client, tables, input.apiKeyPrefix);
    const floor = await footprintOf(client, tables, input.floorKeyPrefix);
    if (!api || !floor) return [`no run to compare (API run found: ${api !== null}, floor run found: ${floor !== null})`];
    return Object.keys(api)
      .filter((aspect) => api[aspect] !== floor[aspect])
      .map((aspect) => `${aspect}: API ${api[aspect]} / floor ${floor[aspect]}`);
  } finally {
    await client.end();
  }
}

async function tablesReferencingRuns(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND column_name = 'execution_run_id' ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

/** Each aspect rendered as a string, so two footprints compare aspect by aspect. */
async function footprintOf(client: Client, tables: readonly string[], keyPrefix: string): Promise<Record<string, string> | null> {
  const {
    rows: [run],
  } = await client.query<Record<string, unknown>>(
    `SELECT * FROM execution_runs WHERE project_id = $1 AND starts_with(idempotency_key, $2) ORDER BY created_at LIMIT 1`,
    [BENCH_PROJECT, keyPrefix],
  );
  if (!run) return null;
  const runId = run.id;
  const footprint: Record<string, string> = {
    'audit event types': (
      await client.query<{ event_type: string }>(`SELECT event_type FROM audit_events WHERE execution_run_id = $1 ORDER BY id`, [runId])
    ).rows
      .map((row) => row.event_type)
      .join(','),
    'filled run columns': filledColumns(run),
  };
  const {
    rows: [approval],
  } = await client.query<Record<string, unknown>>(`SELECT * FROM approvals WHERE execution_run_id = $1 ORDER BY created_at DESC LIMIT 1`, [
    runId,
  ]);
  footprint['filled approval columns'] = approval ? filledColumns(approval) : '(no approval)';
  for (const table of tables) {
    const {
      rows: [{ count }],
    } = await client.query<{ count: string }>(`SELECT count(*) FROM ${quoteIdentifier(table)} WHERE execution_run_id = $1`, [runId]);
    footprint[`rows in ${table}`] = count;
  }
  return footprint;
}

function filledColumns(row: Record<string, unknown>): string {
  return Object.keys(row)
    .filter((column) => row[column] !== null)
    .sort()
    .join(',');
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
