import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CommandContext, sha256Hex } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService } from './access.service';
import { ApiKeyEntity } from './api-key.entity';
import { GovernanceErrorCode, GovernanceException } from './governance.exception';
import { ALL_PROJECTS, Permission, Role } from './permissions';
import { Principal } from './principal';

export interface MintApiKeyInput {
  readonly name: string;
  readonly roles: Role[];
  readonly projectIds: string[];
}

export interface MintedApiKey {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly roles: Role[];
  readonly projectIds: string[];
  readonly createdAt: Date;
}

const KEY_PREFIX = 'cpk_';
/** How long an authenticated key is remembered in this process. Keys cannot be revoked over the API yet. */
const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 1_000;
const MIN_BOOTSTRAP_KEY_LENGTH = 16;

@Injectable()
export class ApiKeyService {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
  ) {}

  async mint(principal: Principal, input: MintApiKeyInput, ctx: CommandContext): Promise<MintedApiKey> {
    this.access.assertAllowed(principal, Permission.ApiKeyCreate);
    // A key can be given no scope wider than the scope of the key that mints it.
    for (const projectId of input.projectIds) {
      const covered = projectId === ALL_PROJECTS ? principal.projectIds.includes(ALL_PROJECTS) : principal.coversProject(projectId);
      if (!covered) {
        throw new GovernanceException(GovernanceErrorCode.Forbidden, `cannot grant project scope ${projectId} beyond this key's own`, {
          project_id: projectId,
        });
      }
    }
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const roles = [...new Set(input.roles)].sort();
    const projectIds = [...new Set(input.projectIds)].sort();
    return this.uow.run(async () => {
      const [row] = await this.uow.query<{ id: string; created_at: Date }>(
        `INSERT INTO api_keys (name, key_hash, key_prefix, roles, project_ids, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at`,
        [input.name, sha256Hex(key), key.slice(0, 12), roles, projectIds, ctx.actor.id],
      );
      await this.audit.record({
        type: AuditEventType.ApiKeyCreated,
        ctx,
        data: { api_key_id: row.id, name: input.name, roles, project_ids: projectIds },
      });
      return { id: row.id, key, name: input.name, roles, projectIds, createdAt: row.created_at };
    });
  }

  /** The principal behind a bearer key, or null for an unknown or revoked key. */
  async authenticate(key: string): Promise<Principal | null> {
    const hash = sha256Hex(key);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.principal;
    const rows = await this.uow.query<Pick<ApiKeyEntity, 'id' | 'name' | 'roles' | 'projectIds'>>(
      `SELECT id, name, roles, project_ids AS "projectIds" FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    if (rows.length === 0) return null;
    const principal = new Principal(rows[0].id, rows[0].name, rows[0].roles as Role[], rows[0].projectIds);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { principal, until: now + CACHE_TTL_MS });
    return principal;
  }

  /** Makes the given key an admin key for every project, idempotently (env BOOTSTRAP_ADMIN_KEY). */
  async ensureBootstrapAdmin(key: string): Promise<void> {
    if (key.length < MIN_BOOTSTRAP_KEY_LENGTH) {
      throw new Error(`BOOTSTRAP_ADMIN_KEY must be at least ${MIN_BOOTSTRAP_KEY_LENGTH} characters long`);
    }
    await this.uow.run(async () => {
      await this.uow.query(
        `INSERT INTO api_keys (name, key_hash, key_prefix, roles, project_ids, created_by)
         VALUES ('bootstrap-admin', $1, 'bootstrap', ARRAY['admin'], ARRAY['*'], 'system')
         ON CONFLICT (key_hash) DO UPDATE SET roles = ARRAY['admin'], project_ids = ARRAY['*'], revoked_at = NULL`,
        [sha256Hex(key)],
      );
    });
  }
}
