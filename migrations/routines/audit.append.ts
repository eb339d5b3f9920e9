import { RoutineEntry } from '@lib/database';

/**
 * Appends a command's events in order, each linked to the head of its chain, in one INSERT. The canonical JSON
 * of each event is made by the application (RFC 8785) and hashed here with the link. Writers of
 * a run's chain hold the run's row lock; chains without a run take an advisory lock here. One
 * notification per call (a command's transaction appends once) names the chains that grew, on
 * the audit_events channel, so a client of any API instance sees a run's events as they happen;
 * when the names would not fit a notification, it says '*' (every chain may have grown).
 */
export const auditAppend: RoutineEntry = {
  file: 'audit.append.ts',
  owner: 'audit',
  sql: `
    CREATE OR REPLACE FUNCTION audit_append(events jsonb) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      e jsonb;
      chain text;
      prev text;
      heads jsonb := '{}';
      chains text[] := '{}';
      prevs text[] := '{}';
      hashes text[] := '{}';
      announced text;
    BEGIN
      -- Each event links to the head of its chain: the one appended just before it here, or the
      -- latest stored (read once per chain and call).
      FOR e IN SELECT t.value FROM jsonb_array_elements(events) WITH ORDINALITY AS t(value, n) ORDER BY t.n LOOP
        chain := e ->> 'chain_key';
        IF heads ? chain THEN
          prev := heads ->> chain;
        ELSE
          IF e ->> 'execution_run_id' IS NULL THEN
            PERFORM pg_advisory_xact_lock(hashtextextended(chain, 0));
          END IF;
          SELECT hash INTO prev FROM audit_events WHERE chain_key = chain ORDER BY id DESC LIMIT 1;
          prev := coalesce(prev, repeat('0', 64));
          chains := chains || chain;
        END IF;
        prevs := prevs || prev;
        prev := encode(sha256(convert_to(prev || (e ->> 'canonical'), 'UTF8')), 'hex');
        hashes := hashes || prev;
        heads := heads || jsonb_build_object(chain, prev);
      END LOOP;
      -- One statement for them all, in order: ids are given in the order of the rows.
      INSERT INTO audit_events (event_id, event_type, actor, actor_credential, request_id, project_id, execution_run_id, data, occurred_at, chain_key,
                                prev_hash, hash)
      SELECT (x.value ->> 'event_id')::uuid, x.value ->> 'event_type', x.value ->> 'actor', x.value ->> 'actor_credential', x.value ->> 'request_id',
             x.value ->> 'project_id',
             (x.value ->> 'execution_run_id')::uuid, x.value -> 'data', (x.value ->> 'occurred_at')::timestamptz, x.value ->> 'chain_key',
             l.prev_hash, l.hash
      FROM jsonb_array_elements(events) WITH ORDINALITY AS x(value, n)
      JOIN unnest(prevs, hashes) WITH ORDINALITY AS l(prev_hash, hash, n) ON l.n = x.n
      ORDER BY x.n;
      announced := array_to_string(chains, ' ');
      IF announced <> '' THEN
        PERFORM pg_notify('audit_events', CASE WHEN octet_length(announced) > 7000 THEN '*' ELSE announced END);
      END IF;
    END $$`,
};
