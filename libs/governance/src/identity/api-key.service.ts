import { Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { CommandContext, RequestErrorCode, RequestException, sha256Hex } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService } from '../access.service';
import { GovernanceErrorCode, GovernanceException } from '../governance.exception';
import { ALL_PROJECTS, Permission, Role } from '../permissions';
import { narrow, Principal, PrincipalKind } from '../principal';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyRow } from './api-key.table';
import { PrincipalRepository } from './principal.repository';
import { PrincipalRow } from './principal.table';

export interface MintApiKeyInput {
  readonly name: string;
  /** A key of an existing principal (rotation); absent: a new service principal with this key. */
  readonly principalId?: string;
  /** Required for a new principal; for an existing one, a subset of its roles (all of them when absent). */
  readonly roles?: Role[];
  readonly projectIds?: string[];
  readonly expiresAt?: Date;
}

export interface MintedApiKey {
  readonly key: string;
  readonly row: ApiKeyRow;
  readonly principalName: string;
}

/** Where a run's requester stands now: its principal as the credential narrows it, and what is wrong with that credential, if anything. */
export interface RequesterStanding {
  readonly principal: Principal;
  readonly credentialProblem: string | null;
}

/** Why a key was not accepted. */
export type KeyRefusal = 'unknown' | 'revoked' | 'expired';

const KEY_PREFIX = 'cpk_';

/**
 * API keys: the credentials of services (and of people who want one beside their sign-in). A key
 * belongs to a principal and may be narrower than it; it is minted never wider than the scope of
 * the key that mints it, listed without its secret, and revoked with a reason. Nothing is cached:
 * a key revoked on one instance is refused by every instance at the next request.
 */
@Injectable()
export class ApiKeyService {
  private readonly logger = new Logger(ApiKeyService.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: ApiKeyRepository,
    private readonly principals: PrincipalRepository,
    private readonly audit: AuditService,
    private readonly access: AccessService,
  ) {}

  async mint(minter: Principal, input: MintApiKeyInput, ctx: CommandContext): Promise<MintedApiKey> {
    this.access.assertAllowed(minter, Permission.ApiKeyCreate);
    return this.uow.run(async () => {
      const target = input.principalId ? await this.principalOrFail(minter, input.principalId) : null;
      const roles = uniqueSorted(input.roles ?? (target?.roles as Role[] | undefined) ?? []);
      const projectIds = uniqueSorted(input.projectIds ?? target?.project_ids ?? []);
      if (!target && (input.roles === undefined || input.projectIds === undefined)) {
        throw new RequestException(RequestErrorCode.MissingField, 'roles and project_ids are required for a key of a new principal', {
          fields: ['roles', 'project_ids'],
        });
      }
      if (roles.length === 0 || projectIds.length === 0) {
        throw new GovernanceException(GovernanceErrorCode.Forbidden, 'the key would hold no role or no project', {
          roles,
          project_ids: projectIds,
        });
      }
      this.assertWithin(minter, projectIds);
      if (target) this.assertNarrower(target, { roles, projectIds });
      if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
        throw new RequestException(RequestErrorCode.InvalidValue, 'expires_at must be in the future', { field: 'expires_at' });
      }
      const id = randomUUID();
      const principal =
        target ?? (await this.principals.insertService({ id, name: input.name, roles, projectIds, createdBy: ctx.actor.id }));
      if (!target) {
        await this.audit.record({
          type: AuditEventType.PrincipalCreated,
          ctx,
          data: { principal_id: principal.id, kind: principal.kind, name: principal.name, roles, project_ids: projectIds },
        });
      }
      const key = KEY_PREFIX + randomBytes(32).toString('base64url');
      const row = await this.keys.insert({
        id,
        principalId: principal.id,
        name: input.name,
        keyHash: sha256Hex(key),
        keyPrefix: key.slice(0, 12),
        roles,
        projectIds,
        createdBy: ctx.actor.id,
        expiresAt: input.expiresAt ?? null,
      });
      await this.audit.record({
        type: AuditEventType.ApiKeyCreated,
        ctx,
        data: {
          api_key_id: row.id,
          principal_id: principal.id,
          name: input.name,
          roles,
          project_ids: projectIds,
          expires_at: row.expires_at?.toISOString() ?? null,
        },
      });
      return { key, row, principalName: principal.name };
    });
  }

  /** Keys the caller's scope covers (every project of the key), newest first; never a secret. */
  list(caller: Principal, input: { principalId?: string; limit: number }): Promise<Array<ApiKeyRow & { principal_name: string }>> {
    this.access.assertAllowed(caller, Permission.ApiKeyRead);
    const scope = caller.projectIds.includes(ALL_PROJECTS) ? null : caller.projectIds;
    return this.keys.list({ scope, principalId: input.principalId, limit: input.limit });
  }

  /**
   * Revokes a key, with a reason, at once for every instance and worker (nothing caches a key).
   * An admin revokes keys in its scope; anyone revokes the keys of its own principal.
   */
  async revoke(caller: Principal, input: { keyId: string; reason: string }, ctx: CommandContext): Promise<ApiKeyRow> {
    return this.uow.run(async () => {
      const key = await this.keys.findById(input.keyId, { lock: true });
      // A key the caller may not revoke answers as if it did not exist: ids reveal nothing.
      const mayRevoke =
        key !== null &&
        (key.principal_id === caller.id ||
          (caller.can(Permission.ApiKeyRevoke) && key.project_ids.every((project) => caller.coversProject(project))));
      if (!key || !mayRevoke) throw keyNotFound();
      const revoked = await this.keys.revoke({ id: key.id, by: ctx.actor.id, reason: input.reason });
      if (!revoked) {
        throw new GovernanceException(GovernanceErrorCode.ApiKeyAlreadyRevoked, 'this key was already revoked', {
          revoked_at: key.revoked_at?.toISOString() ?? null,
        });
      }
      await this.audit.record({
        type: AuditEventType.ApiKeyRevoked,
        ctx,
        data: { api_key_id: key.id, principal_id: key.principal_id, reason: input.reason },
      });
      return revoked;
    });
  }

  /** The principal a bearer key stands for, as the key narrows it; or why the key is refused. */
  async authenticate(key: string): Promise<{ principal: Principal } | { refused: KeyRefusal; keyId?: string; principalId?: string }> {
    const found = await this.keys.findForAuthentication(sha256Hex(key));
    if (!found) return { refused: 'unknown' };
    if (found.revoked_at) return { refused: 'revoked', keyId: found.id, principalId: found.principal_id };
    if (found.expired) return { refused: 'expired', keyId: found.id, principalId: found.principal_id };
    if (found.use_is_stale) {
      // When it was last used is worth a write once a minute, not on every request; it never holds a request up.
      this.keys.touch(found.id).catch((error: unknown) => this.logger.warn({ err: error }, 'could not record when a key was used'));
    }
    return { principal: principalOf(found.principal, found) };
  }

  /**
   * Where the requesters of runs stand now (worker-side RBAC): each principal as the credential
   * it requested with narrows it, and whether that credential still holds. A run requested with a
   * key that was revoked, or has expired, is refused even if its principal still could.
   */
  async standing(requests: ReadonlyArray<{ principalId: string; credential: string | null }>): Promise<Map<string, RequesterStanding>> {
    // A run from before credentials were recorded was requested with the key of the same id.
    const pairs = requests.map((request) => ({
      principalId: request.principalId,
      keyId: request.credential === null ? request.principalId : keyIdOf(request.credential),
    }));
    const states = await this.keys.requesterStates(pairs);
    const standing = new Map<string, RequesterStanding>();
    for (const request of requests) {
      const keyId = request.credential === null ? request.principalId : keyIdOf(request.credential);
      const state = states.find((candidate) => candidate.principal_id === request.principalId && candidate.key_id === keyId);
      if (!state?.principal) continue;
      const key = state.key ? { ...state.key, revoked_at: state.key.revoked_at ? new Date(state.key.revoked_at) : null } : null;
      const byKey = keyId !== null;
      const problem = !byKey
        ? null
        : key === null || key.principal_id !== request.principalId
          ? 'the requesting key no longer exists'
          : key.revoked_at
            ? 'the requesting key was revoked'
            : key.expired
              ? 'the requesting key has expired'
              : null;
      standing.set(`${request.principalId}|${request.credential ?? ''}`, {
        principal: principalOf(state.principal, byKey && key ? key : undefined),
        credentialProblem: problem,
      });
    }
    return standing;
  }

  /**
   * Makes BOOTSTRAP_ADMIN_KEY an admin key (and its principal an admin) for every project. A
   * bootstrap key that was revoked stays revoked: the configuration cannot undo a revocation.
   */
  async ensureBootstrapAdmin(key: string): Promise<'provisioned' | 'revoked'> {
    const keyHash = sha256Hex(key);
    return this.uow.run(async () => {
      const [existing] = await this.keys.findByHash(keyHash);
      if (existing?.revoked_at) return 'revoked';
      const id = existing?.principal_id ?? randomUUID();
      await this.principals.upsertBootstrapAdmin(id);
      await this.keys.upsertBootstrapAdmin({ id, keyHash });
      return 'provisioned';
    });
  }

  private async principalOrFail(minter: Principal, principalId: string): Promise<PrincipalRow> {
    const principal = (await this.principals.findByIds(uuids([principalId])))[0];
    // A principal the minter's scope does not cover answers as if it did not exist.
    if (!principal || !principal.project_ids.every((project) => minter.coversProject(project) || project === ALL_PROJECTS)) {
      throw new GovernanceException(GovernanceErrorCode.PrincipalNotFound, 'no such principal');
    }
    return principal;
  }

  /** A key can be given no scope wider than the scope of the key that mints it. */
  private assertWithin(minter: Principal, projectIds: readonly string[]): void {
    for (const projectId of projectIds) {
      const covered = projectId === ALL_PROJECTS ? minter.projectIds.includes(ALL_PROJECTS) : minter.coversProject(projectId);
      if (!covered) {
        throw new GovernanceException(GovernanceErrorCode.Forbidden, `cannot grant project scope ${projectId} beyond this key's own`, {
          project_id: projectId,
        });
      }
    }
  }

  /** A key of a principal holds no role and no project its principal lacks. */
  private assertNarrower(principal: PrincipalRow, key: { roles: readonly string[]; projectIds: readonly string[] }): void {
    const narrowed = narrow({ roles: principal.roles, projectIds: principal.project_ids }, key);
    if (narrowed.roles.length !== key.roles.length || !key.projectIds.every((project) => narrowed.projectIds.includes(project))) {
      throw new GovernanceException(GovernanceErrorCode.Forbidden, 'a key cannot hold a role or a project its principal does not have', {
        principal_roles: principal.roles,
        principal_project_ids: principal.project_ids,
      });
    }
  }
}

/** A principal as a key (when given) narrows it. */
export function principalOf(row: PrincipalRow, key?: Pick<ApiKeyRow, 'id' | 'roles' | 'project_ids'>): Principal {
  const scope = key
    ? narrow({ roles: row.roles, projectIds: row.project_ids }, { roles: key.roles, projectIds: key.project_ids })
    : { roles: row.roles as Role[], projectIds: row.project_ids };
  return new Principal(row.id, row.name, scope.roles, scope.projectIds, {
    kind: row.kind as PrincipalKind,
    credential: key ? `api_key:${key.id}` : `principal:${row.id}`,
  });
}

export function keyNotFound(): GovernanceException {
  return new GovernanceException(GovernanceErrorCode.ApiKeyNotFound, 'no such API key');
}

function keyIdOf(credential: string | null): string | null {
  return credential?.startsWith('api_key:') ? credential.slice('api_key:'.length) : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuids(ids: readonly string[]): string[] {
  return [...new Set(ids.filter((id) => UUID.test(id)))];
}

function uniqueSorted<T extends string>(values: readonly T[]): T[] {
  return [...new Set(values)].sort();
}
