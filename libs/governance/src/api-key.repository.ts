import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { API_KEYS_TABLE, ApiKeyRow } from './api-key.table';

const T = API_KEYS_TABLE.name;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The governance lib's SQL for api_keys. */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(input: {
    name: string;
    keyHash: string;
    keyPrefix: string;
    roles: string[];
    projectIds: string[];
    createdBy: string;
  }): Promise<ApiKeyRow> {
    const [row] = await this.uow.query<ApiKeyRow>(
      `INSERT INTO ${T} (name, key_hash, key_prefix, roles, project_ids, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [input.name, input.keyHash, input.keyPrefix, input.roles, input.projectIds, input.createdBy],
    );
    return row;
  }

  async findActiveByHash(keyHash: string): Promise<ApiKeyRow | null> {
    const rows = await this.uow.query<ApiKeyRow>(`SELECT * FROM ${T} WHERE key_hash = $1 AND revoked_at IS NULL`, [keyHash]);
    return rows[0] ?? null;
  }

  /** By id, revoked or not; null for an id that is not a key (e.g. `system`). */
  async findById(id: string): Promise<ApiKeyRow | null> {
    return (await this.findByIds([id]))[0] ?? null;
  }

  /** Several keys by id, revoked or not; ids that are not keys (e.g. `system`) are left out. */
  findByIds(ids: readonly string[]): Promise<ApiKeyRow[]> {
    const uuids = ids.filter((id) => UUID.test(id));
    if (uuids.length === 0) return Promise.resolve([]);
    return this.uow.query<ApiKeyRow>(`SELECT * FROM ${T} WHERE id = ANY($1::uuid[])`, [uuids]);
  }

  /** The bootstrap admin key: made (or restored) an admin key for every project. */
  async upsertBootstrapAdmin(keyHash: string): Promise<void> {
    await this.uow.query(
      `INSERT INTO ${T} (name, key_hash, key_prefix, roles, project_ids, created_by)
       VALUES ('bootstrap-admin', $1, 'bootstrap', ARRAY['admin'], ARRAY['*'], 'system')
       ON CONFLICT (key_hash) DO UPDATE SET roles = ARRAY['admin'], project_ids = ARRAY['*'], revoked_at = NULL`,
      [keyHash],
    );
  }
}
