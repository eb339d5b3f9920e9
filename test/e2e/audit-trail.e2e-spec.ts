import { randomUUID } from 'node:crypto';
import { canonicalEvent, chainKeyOf, ChainedEventFields } from '@lib/audit';
import { asOwnerWithoutTriggers } from '../support/db';
import { uniqueProject, useTestApi } from '../support/api-client';

type Key = { id: string; key: string };

describe('a tamper-evident audit trail', () => {
  const { api, pool } = useTestApi();
  let requester: Key;
  let approver: Key;
  let auditor: Key;

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approver = await api.mintKey({ roles: ['approver'] });
    auditor = await api.mintKey({ roles: ['approver'] });
  });

  const runWithHistory = async (project = uniqueProject()): Promise<string> => {
    const created = await api.createRun(requester.key, { project_id: project, idempotency_key: 'k', action: 'deploy', targets: ['web-1'] });
    await api.createRun(requester.key, { project_id: project, idempotency_key: 'k', action: 'deploy', targets: ['web-1'] });
    await api.decide(approver.key, created.body.execution_id, 'approve', { reason: 'ok' });
    return created.body.execution_id;
  };
  const verify = (id: string) => api.get(auditor.key, `/api/v1/audit/verify?execution_id=${id}`);

  it('every event of a run is linked to the one before it, and verify recomputes the chain', async () => {
    const id = await runWithHistory();
    const { rows } = await pool.query(`SELECT chain_key, prev_hash, hash FROM audit_events WHERE execution_run_id = $1 ORDER BY id`, [id]);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows[0].prev_hash).toBe('0'.repeat(64));
    for (let index = 1; index < rows.length; index++) expect(rows[index].prev_hash).toBe(rows[index - 1].hash);
    expect(new Set(rows.map((row) => row.chain_key))).toEqual(new Set([`run:${id}`]));
    const report = await verify(id);
    expect(report.status).toBe(200);
    expect(report.body).toEqual({ ok: true, chains: 1, events: rows.length, unchained: 0, first_broken_link: null });
  });

  it('orders events by their numeric position, also where the ids gain a digit', async () => {
    const id = await runWithHistory();
    // Extend the run's chain with two events whose ids straddle the next power of ten (text
    // order would put "1000" before "998"). The table is locked meanwhile, so no other
    // session's insert can take those ids; audit_append links them exactly as the app does.
    const client = await pool.connect();
    let next = 0n;
    try {
      await client.query('BEGIN');
      await client.query('LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE');
      const {
        rows: [{ max }],
      } = await client.query(`SELECT max(id)::text AS max FROM audit_events`);
      next = 10n ** BigInt(String(max).length);
      await client.query(`SELECT setval(pg_get_serial_sequence('audit_events', 'id'), $1)`, [String(next - 2n)]);
      const events = ['first', 'second'].map((step) => {
        const fields: ChainedEventFields = {
          event_id: randomUUID(),
          event_type: 'run.status_changed',
          actor: 'system',
          request_id: `digits-${step}`,
          project_id: null,
          execution_run_id: id,
          data: { step },
          occurred_at: new Date().toISOString(),
        };
        return { ...fields, chain_key: chainKeyOf({ executionRunId: id }), canonical: canonicalEvent(fields) };
      });
      await client.query(`SELECT audit_append($1::jsonb)`, [JSON.stringify(events)]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
    const listed = await api.get(requester.key, `/api/v1/execution/run/${id}/events`);
    const ids = listed.body.events.map((event: { id: string }) => BigInt(event.id));
    expect(ids.slice(-2)).toEqual([next - 1n, next]);
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    expect(listed.body.events.slice(-2).map((event: { request_id: string }) => event.request_id)).toEqual([
      'digits-first',
      'digits-second',
    ]);
    expect((await verify(id)).body).toMatchObject({ ok: true, first_broken_link: null });
    const page = await api.get(auditor.key, `/api/v1/audit/events?execution_id=${id}`);
    expect(page.body.events.map((event: { id: string }) => event.id)).toEqual(listed.body.events.map((event: { id: string }) => event.id));
  });

  it('finds an event edited by the database owner (trigger disabled) and names the first broken link', async () => {
    const id = await runWithHistory();
    const { rows } = await pool.query(`SELECT id::text AS id, event_id FROM audit_events WHERE execution_run_id = $1 ORDER BY id`, [id]);
    const victim = rows[2];
    await asOwnerWithoutTriggers(pool, [
      [`UPDATE audit_events SET data = data || '{"reason": "forged"}'::jsonb WHERE id = $1`, [victim.id]],
    ]);
    const report = await verify(id);
    expect(report.body).toMatchObject({
      ok: false,
      first_broken_link: { id: victim.id, event_id: victim.event_id, problem: 'hash_mismatch', chain_key: `run:${id}` },
    });
  });

  it('finds a deleted event through the next link', async () => {
    const id = await runWithHistory();
    const { rows } = await pool.query(`SELECT id::text AS id FROM audit_events WHERE execution_run_id = $1 ORDER BY id`, [id]);
    await asOwnerWithoutTriggers(pool, [[`DELETE FROM audit_events WHERE id = $1`, [rows[1].id]]]);
    const report = await verify(id);
    expect(report.body).toMatchObject({ ok: false, first_broken_link: { id: rows[2].id, problem: 'prev_hash_mismatch' } });
  });

  it('the chain cannot fork: a second event on the same link is refused by the database', async () => {
    const id = await runWithHistory();
    const [last] = (await pool.query(`SELECT prev_hash FROM audit_events WHERE execution_run_id = $1 ORDER BY id DESC LIMIT 1`, [id])).rows;
    await expect(
      pool.query(
        `INSERT INTO audit_events (event_type, actor, execution_run_id, chain_key, prev_hash, hash) VALUES ('run.created', 'x', $1, $2, $3, repeat('f', 64))`,
        [id, `run:${id}`, last.prev_hash],
      ),
    ).rejects.toThrow(/audit_events_chain_no_fork/);
  });

  it('lists events by project, run, type, actor and time with keyset pages', async () => {
    const project = uniqueProject();
    const first = await runWithHistory(project);
    await api.createRun(requester.key, { project_id: project, idempotency_key: 'k2', action: 'deploy', targets: ['web-2'] });
    const all = await api.get(auditor.key, `/api/v1/audit/events?project_id=${project}&limit=500`);
    expect(all.status).toBe(200);
    const ids = all.body.events.map((event: { id: string }) => BigInt(event.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    expect(all.body.next_after).toBeNull();

    const pages: string[] = [];
    let after: string | null = null;
    do {
      const page: { body: { events: Array<{ id: string }>; next_after: string | null } } = await api.get(
        auditor.key,
        `/api/v1/audit/events?project_id=${project}&limit=2${after ? `&after=${after}` : ''}`,
      );
      pages.push(...page.body.events.map((event) => event.id));
      after = page.body.next_after;
    } while (after);
    expect(pages).toEqual(all.body.events.map((event: { id: string }) => event.id));

    const approvals = await api.get(auditor.key, `/api/v1/audit/events?project_id=${project}&type=approval.approved`);
    expect(approvals.body.events).toHaveLength(1);
    expect(approvals.body.events[0]).toMatchObject({ type: 'approval.approved', actor: approver.id, execution_id: first });
    const byActor = await api.get(auditor.key, `/api/v1/audit/events?execution_id=${first}&actor=${approver.id}`);
    expect(byActor.body.events.every((event: { actor: string }) => event.actor === approver.id)).toBe(true);
    const future = await api.get(auditor.key, `/api/v1/audit/events?project_id=${project}&from=2999-01-01T00:00:00Z`);
    expect(future.body.events).toEqual([]);
  });

  it('a key scoped to other projects may not read this trail; requesters may not read it at all', async () => {
    const id = await runWithHistory();
    const scoped = await api.mintKey({ roles: ['approver'], projectIds: [uniqueProject()] });
    // Another project's run answers like an unknown one.
    expect((await api.get(scoped.key, `/api/v1/audit/verify?execution_id=${id}`)).status).toBe(404);
    expect((await api.get(scoped.key, `/api/v1/audit/events?execution_id=${id}`)).status).toBe(404);
    expect((await api.get(scoped.key, '/api/v1/audit/events')).status).toBe(403);
    expect((await api.get(requester.key, `/api/v1/audit/verify?execution_id=${id}`)).status).toBe(403);
    expect((await api.get(auditor.key, '/api/v1/audit/verify?execution_id=00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('exposes approval lifecycle counters that move with the trail', async () => {
    const before = (await api.get(auditor.key, '/api/v1/governance/metrics')).body;
    expect(Object.keys(before).sort()).toEqual(['approved', 'deferred', 'expired', 'invalidated', 'rejected', 'requested']);
    const created = await api.createRun(requester.key, {
      project_id: uniqueProject(),
      idempotency_key: 'k',
      action: 'deploy',
      targets: ['web-1'],
    });
    await api.decide(approver.key, created.body.execution_id, 'reject', { reason: 'no' });
    const after = (await api.get(auditor.key, '/api/v1/governance/metrics')).body;
    expect(after.requested).toBeGreaterThanOrEqual(before.requested + 1);
    expect(after.rejected).toBeGreaterThanOrEqual(before.rejected + 1);
  });
});
