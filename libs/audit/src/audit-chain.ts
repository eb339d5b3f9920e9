import { canonicalJson, sha256Hex } from '@lib/common';

/**
 * Glossary
 * - chain: the events of one run (`run:<id>`), or of one project for events without a run
 *   (`project:<id>`), or `global` for events with neither; oldest first by id.
 * - link: `hash = SHA-256(prev_hash || canonical JSON of the event)`; the first event of a chain
 *   has prev_hash GENESIS_HASH.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedEventFields {
  event_id: string;
  event_type: string;
  actor: string;
  /** The credential the actor used (`api_key:<id>`, `oidc:<token id>`); absent for the system and for events from before it was recorded. */
  actor_credential?: string | null;
  request_id: string | null;
  project_id: string | null;
  execution_run_id: string | null;
  data: Record<string, unknown>;
  /** ISO-8601 with milliseconds, exactly as hashed. */
  occurred_at: string;
}

export function chainKeyOf(input: { executionRunId?: string | null; projectId?: string | null }): string {
  if (input.executionRunId) return `run:${input.executionRunId}`;
  if (input.projectId) return `project:${input.projectId}`;
  return 'global';
}

/**
 * Exactly the hashed fields, whatever else the object carries (a stored row has more). The
 * credential is hashed only when there is one, so events from before it was recorded verify
 * as they were written.
 */
export function canonicalEvent(fields: ChainedEventFields): string {
  return canonicalJson({
    event_id: fields.event_id,
    event_type: fields.event_type,
    actor: fields.actor,
    ...(fields.actor_credential ? { actor_credential: fields.actor_credential } : {}),
    request_id: fields.request_id,
    project_id: fields.project_id,
    execution_run_id: fields.execution_run_id,
    data: fields.data,
    occurred_at: fields.occurred_at,
  });
}

export function linkHash(prevHash: string, fields: ChainedEventFields): string {
  return sha256Hex(prevHash + canonicalEvent(fields));
}

export interface StoredChainEvent extends ChainedEventFields {
  id: string;
  chain_key: string;
  prev_hash: string;
  hash: string;
}

export interface BrokenLink {
  chain_key: string;
  event_id: string;
  id: string;
  problem: 'prev_hash_mismatch' | 'hash_mismatch';
  expected: string;
  found: string;
}

/** Checks one event against the hash its predecessor ended with. */
export function checkLink(event: StoredChainEvent, expectedPrev: string): BrokenLink | null {
  if (event.prev_hash !== expectedPrev) {
    return {
      chain_key: event.chain_key,
      event_id: event.event_id,
      id: event.id,
      problem: 'prev_hash_mismatch',
      expected: expectedPrev,
      found: event.prev_hash,
    };
  }
  const recomputed = linkHash(event.prev_hash, event);
  if (recomputed !== event.hash) {
    return {
      chain_key: event.chain_key,
      event_id: event.event_id,
      id: event.id,
      problem: 'hash_mismatch',
      expected: recomputed,
      found: event.hash,
    };
  }
  return null;
}

/** Walks one chain (oldest first) and returns its first broken link, or null. */
export function findBrokenLink(events: readonly StoredChainEvent[]): BrokenLink | null {
  let expectedPrev = GENESIS_HASH;
  for (const event of events) {
    const broken = checkLink(event, expectedPrev);
    if (broken) return broken;
    expectedPrev = event.hash;
  }
  return null;
}
