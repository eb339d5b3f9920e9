import { RoutineEntry } from '@lib/database';

/**
 * Appends a command's events in order, each linked to the head of its chain. The canonical JSON
 * of each event is made by the application (RFC 8785) and hashed here with the link. Writers of
 * a run's chain hold the run's row lock; chains without a run take an advisory lock here. Every
 * appended event is announced (on commit) on the audit_events channel, so a client of any API
 * instance sees a run's events as they happen.
 */
export const auditAppend: RoutineEntry = {
  file: 'audit.append.ts',
  owner: 'audit',
  sql: `
    CREATE OR REPLACE FUNCTION audit_append(events jsonb) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      e jsonb;
      prev text;
      new_id bigint;
    BEGIN
      FOR e IN SELECT t.value FROM jsonb_array_elements(events) WITH ORDINALITY AS t(value, n) ORDER BY t.n LOOP
        IF e ->> 'execution_run_id' IS NULL THEN
          PERFORM pg_advisory_xact_lock(hashtextextended(e ->> 'chain_key', 0));
        END IF;
        SELECT hash INTO prev FROM audit_events WHERE chain_key = e ->> 'chain_key' ORDER BY id DESC LIMIT 1;
        prev := coalesce(prev, repeat('0', 64));
        INSERT INTO audit_events (event_id, event_type, actor, request_id, project_id, execution_run_id, data, occurred_at, chain_key, prev_hash, hash)
        VALUES ((e ->> 'event_id')::uuid, e ->> 'event_type', e ->> 'actor', e ->> 'request_id', e ->> 'project_id',
                (e ->> 'execution_run_id')::uuid, e -> 'data', (e ->> 'occurred_at')::timestamptz, e ->> 'chain_key', prev,
                encode(sha256(convert_to(prev || (e ->> 'canonical'), 'UTF8')), 'hex'))
        RETURNING id INTO new_id;
        PERFORM pg_notify('audit_events', (e ->> 'chain_key') || ' ' || new_id);
      END LOOP;
    END $$`,
};
