import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { PRINCIPALS_TABLE, PrincipalRow } from './principal.table';
import { API_KEYS_TABLE, ApiKeyRow } from './api-key.table';

const T = API_KEYS_TABLE.name;
const P = PRINCIPALS_TABLE.name;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A key as authentication reads it: the key, its principal, and (by the database clock) whether
 * it has expired, and whether its principal is a person not seen for longer than allowed.
 */
export type KeyWithPrincipal = ApiKeyRow & {
  principal: PrincipalRow;
  expired: boolean;
  use_is_stale: boolean;
  person_idle: boolean;
  /** An agent whose person (acts_for) is disabled: nobody answers for it any more. */
  accountable_disabled: boolean;
};

/** Whether the person a principal acts for (p.acts_for) is disabled: stated once for sign-in and for worker-side RBAC. */
const ACCOUNTABLE_DISABLED = (p: string) =>
  `(${p}.acts_for IS NOT NULL AND EXISTS (SELECT 1 FROM ${P} h WHERE h.id = ${p}.acts_for AND h.disabled_at IS NOT NULL))`;

/** How often last_used_at is written at most: a key in constant use must not write on every request. */
const LAST_USED_RESOLUTION_S = 60;

/** The governance lib's SQL for api_keys. */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(input: {
    id: string;
    principalId: string;
    name: string;
    keyHash: string;
    keyPrefix: string;
    roleGrants: string[];
    createdBy: string;
    /** The credential that minted it: whoever holds that one holds this one. */
    createdVia: string | null;
    expiresAt: Date | null;
  }): Promise<ApiKeyRow> {
    const [row] = await this.uow.query<ApiKeyRow>(
      `INSERT INTO ${T} (id, principal_id, name, key_hash, key_prefix, role_grants, created_by, created_via, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        input.id,
        input.principalId,
        input.name,
        input.keyHash,
        input.keyPrefix,
        input.roleGrants,
        input.createdBy,
        input.createdVia,
        input.expiresAt,
      ],
    );
    return row;
  }

  /**
   * The key with this hash and its principal, revoked or not (the caller says why it refuses
   * one). Never cached: a revocation, or a principal disabled, counts at once.
   */
  async findForAuthentication(keyHash: string, personIdleSeconds: number): Promise<KeyWithPrincipal | null> {
    const rows = await this.uow.query<KeyWithPrincipal>(
      `SELECT k.*, to_jsonb(p) AS principal,
              (k.expires_at IS NOT NULL AND k.expires_at <= now()) AS expired,
              (k.last_used_at IS NULL OR k.last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_S})) AS use_is_stale,
              (p.kind = 'person' AND (p.last_seen_at IS NULL OR p.last_seen_at < now() - make_interval(secs => $2::int))) AS person_idle,
              ${ACCOUNTABLE_DISABLED('p')} AS accountable_disabled
       FROM ${T} k JOIN ${P} p ON p.id = k.principal_id WHERE k.key_hash = $1`,
      [keyHash, personIdleSeconds],
    );
    return rows[0] ?? null;
  }

  async touch(id: string): Promise<void> {
    await this.uow.query(
      `UPDATE ${T} SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_S}))`,
      [id],
    );
  }

  async findById(id: string, options: { lock?: boolean } = {}): Promise<ApiKeyRow | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.uow.query<ApiKeyRow>(`SELECT * FROM ${T} WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  /** Several keys by id, revoked or not, with (by the database clock) whether each has expired; ids that are not keys are left out. */
  findByIds(ids: readonly string[]): Promise<Array<ApiKeyRow & { expired: boolean }>> {
    const uuids = ids.filter((id) => UUID.test(id));
    if (uuids.length === 0) return Promise.resolve([]);
    return this.uow.query<ApiKeyRow & { expired: boolean }>(
      `SELECT *, (expires_at IS NOT NULL AND expires_at <= now()) AS expired FROM ${T} WHERE id = ANY($1::uuid[])`,
      [uuids],
    );
  }

  /**
   * Principals and keys (by id, either may be absent) as they stand now, in one statement: the
   * worker's re-check of the requesters of a batch of runs.
   */
  requesterStates(pairs: ReadonlyArray<{ principalId: string; keyId: string | null }>): Promise<
    Array<{
      principal_id: string;
      key_id: string | null;
      principal: PrincipalRow | null;
      key: (ApiKeyRow & { expired: boolean }) | null;
      accountable_disabled: boolean | null;
    }>
  > {
    const valid = pairs.filter((pair) => UUID.test(pair.principalId));
    if (valid.length === 0) return Promise.resolve([]);
    return this.uow.query(
      `SELECT x.principal_id::text AS principal_id, x.key_id::text AS key_id, to_jsonb(p) AS principal,
              CASE WHEN k.id IS NULL THEN NULL
                   ELSE to_jsonb(k) || jsonb_build_object('expired', k.expires_at IS NOT NULL AND k.expires_at <= now()) END AS key,
              ${ACCOUNTABLE_DISABLED('p')} AS accountable_disabled
       FROM unnest($1::uuid[], $2::uuid[]) AS x(principal_id, key_id)
       LEFT JOIN ${P} p ON p.id = x.principal_id
       LEFT JOIN ${T} k ON k.id = x.key_id`,
      [valid.map((pair) => pair.principalId), valid.map((pair) => (pair.keyId && UUID.test(pair.keyId) ? pair.keyId : null))],
    );
  }

  /** Keys each of whose grants is on a project of the caller's scope (null: any), newest first, optionally of one principal. */
  list(input: {
    scope: readonly string[] | null;
    principalId?: string;
    limit: number;
  }): Promise<Array<ApiKeyRow & { principal_name: string }>> {
    return this.uow.query<ApiKeyRow & { principal_name: string }>(
      `SELECT k.*, p.name AS principal_name FROM ${T} k JOIN ${P} p ON p.id = k.principal_id
       WHERE ($1::text[] IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(k.role_grants) g WHERE split_part(g, '@', 2) <> ALL ($1::text[])))
         AND ($2::uuid IS NULL OR k.principal_id = $2)
       ORDER BY k.created_at DESC, k.id LIMIT $3`,
      [input.scope, input.principalId ?? null, input.limit],
    );
  }

  /** Revokes a key not yet revoked; null when it already was. */
  async revoke(input: { id: string; by: string; reason: string }): Promise<ApiKeyRow | null> {
    const rows = await this.uow.query<ApiKeyRow>(
      `UPDATE ${T} SET revoked_at = now(), revoked_by = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING *`,
      [input.id, input.by, input.reason],
    );
    return rows[0] ?? null;
  }

  /**
   * Revokes, with the same reason, the keys of the same principal minted with this key, and
   * those minted with them, not yet revoked: a leaked key cannot leave behind a copy of itself.
   * Keys it minted for other principals are theirs (and tied to its holder for separation of duties).
   */
  async revokeMintedFrom(input: { id: string; principalId: string; by: string; reason: string }): Promise<string[]> {
    const rows = await this.uow.query<{ id: string }>(
      `WITH RECURSIVE minted(id) AS (
         SELECT $1::uuid
         UNION
         SELECT k.id FROM ${T} k JOIN minted m ON k.created_via = 'api_key:' || m.id::text WHERE k.principal_id = $2
       )
       UPDATE ${T} SET revoked_at = now(), revoked_by = $3, revoked_reason = $4
       WHERE id IN (SELECT id FROM minted) AND id <> $1 AND revoked_at IS NULL RETURNING id`,
      [input.id, input.principalId, input.by, input.reason],
    );
    return rows.map((row) => row.id).sort();
  }

  findByHash(keyHash: string): Promise<ApiKeyRow[]> {
    return this.uow.query<ApiKeyRow>(`SELECT * FROM ${T} WHERE key_hash = $1`, [keyHash]);
  }

  /** The bootstrap admin key (its principal must exist): admin of every project; a revoked one stays revoked. */
  /** Whether some key could act as an admin now: not revoked, not expired, with an admin grant, of an enabled principal that is one too. */
  async anyUsableAdminKey(): Promise<boolean> {
    const [row] = await this.uow.query<{ usable: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM ${T} k JOIN ${P} p ON p.id = k.principal_id
          WHERE k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND p.disabled_at IS NULL
            AND EXISTS (SELECT 1 FROM unnest(k.role_grants) g WHERE g LIKE 'admin@%')
            AND EXISTS (SELECT 1 FROM unnest(p.role_grants) g WHERE g LIKE 'admin@%')
       ) AS usable`,
    );
    return row.usable;
  }

  async upsertBootstrapAdmin(input: { id: string; keyHash: string }): Promise<void> {
    await this.uow.query(
      `INSERT INTO ${T} (id, principal_id, name, key_hash, key_prefix, role_grants, created_by)
       VALUES ($1, $1, 'bootstrap-admin', $2, 'bootstrap', ARRAY['admin@*'], 'system')
       ON CONFLICT (key_hash) DO UPDATE SET role_grants = ARRAY['admin@*']`,
      [input.id, input.keyHash],
    );
  }
}
