import { ChainedEventFields, findBrokenLink, GENESIS_HASH, linkHash, StoredChainEvent } from './audit-chain';

function chain(length: number): StoredChainEvent[] {
  const events: StoredChainEvent[] = [];
  let prev = GENESIS_HASH;
  for (let index = 0; index < length; index++) {
    const fields: ChainedEventFields = {
      event_id: `00000000-0000-4000-8000-00000000000${index}`,
      event_type: 'run.created',
      actor: 'k',
      request_id: `r${index}`,
      project_id: 'p',
      execution_run_id: null,
      data: { n: index, nested: { b: 1, a: 2 } },
      occurred_at: new Date(Date.UTC(2026, 10, 22, 0, 0, index)).toISOString(),
    };
    const hash = linkHash(prev, fields);
    events.push({ ...fields, id: String(index + 1), chain_key: 'project:p', prev_hash: prev, hash });
    prev = hash;
  }
  return events;
}

describe('audit hash chain', () => {
  it('accepts an intact chain', () => {
    expect(findBrokenLink(chain(5))).toBeNull();
  });

  it('finds an edited event (its data changed, its hash kept)', () => {
    const events = chain(5);
    events[2] = { ...events[2], data: { n: 99 } };
    expect(findBrokenLink(events)).toMatchObject({ id: '3', problem: 'hash_mismatch' });
  });

  it('finds a removed event', () => {
    const events = chain(5);
    events.splice(1, 1);
    expect(findBrokenLink(events)).toMatchObject({ id: '3', problem: 'prev_hash_mismatch' });
  });

  it('finds a re-hashed event whose successor still points at the old hash', () => {
    const events = chain(4);
    const edited = { ...events[1], actor: 'someone-else' };
    edited.hash = linkHash(edited.prev_hash, edited);
    events[1] = edited;
    expect(findBrokenLink(events)).toMatchObject({ id: '3', problem: 'prev_hash_mismatch' });
  });

  it('does not depend on the key order of data', () => {
    const events = chain(2);
    events[0] = { ...events[0], data: { nested: { a: 2, b: 1 }, n: 0 } };
    expect(findBrokenLink(events)).toBeNull();
  });
});
