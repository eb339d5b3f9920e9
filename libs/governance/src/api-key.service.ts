import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CommandContext, sha256Hex } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService } from './access.service';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyRow } from './api-key.table';
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

@Injectable()
export class ApiKeyService {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: ApiKeyRepository,
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
      const row = await this.keys.insert({
        name: input.name,
        keyHash: sha256Hex(key),
        keyPrefix: key.slice(0, 12),
        roles,
        projectIds,
        createdBy: ctx.actor.id,
      });
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
    const row = await this.keys.findActiveByHash(hash);
    if (!row) return null;
    const principal = principalOf(row);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { principal, until: now + CACHE_TTL_MS });
    return principal;
  }

  /** A key by id as it stands now (worker-side RBAC re-checks the requester's key). */
  async findById(id: string): Promise<{ principal: Principal; revokedAt: Date | null } | null> {
    const row = await this.keys.findById(id);
    return row ? { principal: principalOf(row), revokedAt: row.revoked_at } : null;
  }

  /** Keys by id as they stand now, by id (worker-side RBAC re-checks the requesters of a batch of runs). */
  async findByIds(ids: readonly string[]): Promise<Map<string, { principal: Principal; revokedAt: Date | null }>> {
    const rows = await this.keys.findByIds([...new Set(ids)]);
    return new Map(rows.map((row) => [row.id, { principal: principalOf(row), revokedAt: row.revoked_at }]));
  }

  /** Makes the given key an admin key for every project, idempotently (BOOTSTRAP_ADMIN_KEY). */
  async ensureBootstrapAdmin(key: string): Promise<void> {
    await this.uow.run(() => this.keys.upsertBootstrapAdmin(sha256Hex(key)));
  }
}

function principalOf(row: ApiKeyRow): Principal {
  return new Principal(row.id, row.name, row.roles as Role[], row.project_ids);
}
