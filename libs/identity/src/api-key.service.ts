import { Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { CommandContext, RequestErrorCode, RequestException, sha256Hex } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService } from './access.service';

import { AppConfig } from '@lib/config';
import { ALL_PROJECTS, Permission, Role } from './permissions';
import {
  grantsFromText,
  grantsToText,
  grantsWithin,
  narrow,
  normalizeGrants,
  Principal,
  PrincipalKind,
  product,
  RoleGrant,
} from './principal';
import { authorityOver } from './principal-authority';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyRow } from './api-key.table';
import { PrincipalRepository } from './principal.repository';
import { PrincipalRow } from './principal.table';
import { IdentityErrorCode, IdentityException } from './identity.exception';

export interface MintApiKeyInput {
  readonly name: string;
  /** A key of an existing principal (its own, or one the minter's admin grants cover); absent: a new service principal with this key. */
  readonly principalId?: string;
  /**
   * What the key holds: explicit role grants, or each of `roles` on each of `projectIds`.
   * Required for a new principal; for an existing one, a subset of what it holds (all of it when
   * absent; `roles` or `projectIds` alone narrow it to those).
   */
  readonly grants?: RoleGrant[];
  readonly roles?: Role[];
  readonly projectIds?: string[];
  readonly expiresAt?: Date;
  /** For a new service principal: its votes count as an approver's (an admin of every project only). */
  readonly serviceApprover?: boolean;
  /** For a new principal: a service (the default) or an agent. */
  readonly kind?: 'service' | 'agent';
  /** For a new agent: the person it acts for (the minter, or a person the minter may mint keys of). */
  readonly actsFor?: string;
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
export type KeyRefusal = 'unknown' | 'revoked' | 'expired' | 'disabled' | 'suspended';

/** What every minted key starts with (a bootstrap admin key may be any text). */
export const KEY_PREFIX = 'cpk_';

/**
 * API keys: the credentials of services (and of people who want one beside their sign-in). A key
 * belongs to a principal and may be narrower than it. It is minted by the principal itself
 * (never wider, nor longer-lived, than the credential that mints it), or by an admin whose grants
 * cover all of the principal's (see principal-authority.ts); listed without its secret; revoked
 * with a reason. Nothing is cached: a key revoked, or a principal disabled, on one instance is
 * refused by every instance at the next request.
 */
@Injectable()
export class ApiKeyService {
  private readonly logger = new Logger(ApiKeyService.name);
  private readonly personKeyIdleSeconds: number;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: ApiKeyRepository,
    private readonly principals: PrincipalRepository,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    config: AppConfig,
  ) {
    this.personKeyIdleSeconds = config.values.identity.personKeyIdleSeconds;
  }

  async mint(minter: Principal, input: MintApiKeyInput, ctx: CommandContext): Promise<MintedApiKey> {
    this.access.assertAllowed(minter, Permission.SelfRead);
    if (input.grants !== undefined && (input.roles !== undefined || input.projectIds !== undefined)) {
      throw new RequestException(RequestErrorCode.InvalidValue, 'name role_grants, or roles and project_ids, not both', {
        field: 'role_grants',
      });
    }
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
      throw new RequestException(RequestErrorCode.InvalidValue, 'expires_at must be in the future', { field: 'expires_at' });
    }
    return this.uow.run(async () => {
      const target = input.principalId ? await this.principalForKeyOrFail(minter, input.principalId) : null;
      if (target && (input.kind !== undefined || input.actsFor !== undefined)) {
        throw new RequestException(
          RequestErrorCode.InvalidValue,
          'kind and acts_for are for a new principal, not a key of an existing one',
          {
            field: input.kind !== undefined ? 'kind' : 'acts_for',
          },
        );
      }
      const grants = target ? this.keyGrantsOfExisting(minter, target, input) : this.keyGrantsOfNew(minter, input);
      const actsFor = input.actsFor === undefined ? null : await this.actsForOrFail(minter, input, grants);
      if (grants.length === 0) {
        throw new IdentityException(IdentityErrorCode.Forbidden, 'the key would hold no role on any project', {
          role_grants: [],
        });
      }
      const expiresAt = this.expiryOf(minter, input.expiresAt);
      const id = randomUUID();
      const roleGrants = grantsToText(grants);
      const principal =
        target ??
        (await this.newPrincipalOrFail(minter, {
          id,
          kind: input.kind ?? 'service',
          actsFor,
          name: input.name,
          roleGrants,
          serviceApprover: input.serviceApprover === true,
          createdBy: ctx.actor.id,
          createdVia: ctx.actor.credential ?? null,
        }));
      if (!target) {
        await this.audit.record({
          type: AuditEventType.PrincipalCreated,
          ctx,
          data: {
            principal_id: principal.id,
            kind: principal.kind,
            name: principal.name,
            role_grants: roleGrants,
            service_approver: principal.service_approver,
            ...(principal.acts_for ? { acts_for: principal.acts_for } : {}),
          },
        });
      }
      const key = KEY_PREFIX + randomBytes(32).toString('base64url');
      const row = await this.keys.insert({
        id,
        principalId: principal.id,
        name: input.name,
        keyHash: sha256Hex(key),
        keyPrefix: key.slice(0, 12),
        roleGrants,
        createdBy: ctx.actor.id,
        createdVia: ctx.actor.credential ?? null,
        expiresAt,
      });
      await this.audit.record({
        type: AuditEventType.ApiKeyCreated,
        ctx,
        data: {
          api_key_id: row.id,
          principal_id: principal.id,
          name: input.name,
          role_grants: roleGrants,
          minted_by: ctx.actor.id,
          minted_with: ctx.actor.credential ?? null,
          minted_as: target === null ? 'new_principal' : target.id === minter.id ? 'self' : 'admin',
          expires_at: row.expires_at?.toISOString() ?? null,
        },
      });
      return { key, row, principalName: principal.name };
    });
  }

  /**
   * Keys in the caller's scope (each grant on a project where it may read keys), newest first;
   * without that permission, its own keys. Never a secret.
   */
  list(caller: Principal, input: { principalId?: string; limit: number }): Promise<Array<ApiKeyRow & { principal_name: string }>> {
    this.access.assertAllowed(caller, Permission.SelfRead);
    if (!caller.can(Permission.ApiKeyRead)) {
      if (input.principalId !== undefined && input.principalId !== caller.id) this.access.assertAllowed(caller, Permission.ApiKeyRead);
      return this.keys.list({ scope: null, principalId: caller.id, limit: input.limit });
    }
    return this.keys.list({ scope: caller.projectsWith(Permission.ApiKeyRead), principalId: input.principalId, limit: input.limit });
  }

  /**
   * Revokes a key, with a reason, at once for every instance and worker (nothing caches a key).
   * Anyone revokes the keys of its own principal; an admin those of a principal it covers as
   * for minting (a person's, a service approver's, or an all-projects principal's: an admin of
   * every project).
   */
  async revoke(caller: Principal, input: { keyId: string; reason: string }, ctx: CommandContext): Promise<ApiKeyRow> {
    return this.uow.run(async () => {
      const key = await this.keys.findById(input.keyId, { lock: true });
      const owner = key ? await this.principals.findById(key.principal_id) : null;
      // The keys of its own principal, or of one it has authority over as for minting; any other key
      // answers as if it did not exist: ids reveal nothing.
      const mayRevoke = key !== null && owner !== null && authorityOver(caller, owner, Permission.ApiKeyRevoke) !== 'hidden';
      if (!key || !owner || !mayRevoke) throw keyNotFound();
      if (authorityOver(caller, owner, Permission.ApiKeyRevoke) === 'forbidden') {
        throw new IdentityException(IdentityErrorCode.Forbidden, "this key's principal holds roles beyond this key's admin grants", {
          principal_id: owner.id,
        });
      }
      const revoked = await this.keys.revoke({ id: key.id, by: ctx.actor.id, reason: input.reason });
      if (!revoked) {
        throw new IdentityException(IdentityErrorCode.ApiKeyAlreadyRevoked, 'this key was already revoked', {
          revoked_at: key.revoked_at?.toISOString() ?? null,
        });
      }
      const alsoRevoked = await this.keys.revokeMintedFrom({
        id: key.id,
        principalId: key.principal_id,
        by: ctx.actor.id,
        reason: input.reason,
      });
      await this.audit.record({
        type: AuditEventType.ApiKeyRevoked,
        ctx,
        data: {
          api_key_id: key.id,
          principal_id: key.principal_id,
          reason: input.reason,
          ...(alsoRevoked.length > 0 ? { also_revoked: alsoRevoked } : {}),
        },
      });
      return revoked;
    });
  }

  /** The principal a bearer key stands for, as the key narrows it; or why the key is refused. */
  async authenticate(key: string): Promise<{ principal: Principal } | { refused: KeyRefusal; keyId?: string; principalId?: string }> {
    const found = await this.keys.findForAuthentication(sha256Hex(key), this.personKeyIdleSeconds);
    if (!found) return { refused: 'unknown' };
    const refusal: KeyRefusal | null = found.revoked_at
      ? 'revoked'
      : found.expired
        ? 'expired'
        : found.principal.disabled_at || found.accountable_disabled
          ? 'disabled'
          : found.person_idle
            ? 'suspended'
            : null;
    if (refusal) return { refused: refusal, keyId: found.id, principalId: found.principal_id };
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
      const problem = state.principal.disabled_at
        ? 'the requester was disabled'
        : state.accountable_disabled
          ? 'the person the requester acts for was disabled'
          : !byKey
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

  /** Whether anyone holds a key that can administer (mint keys) now: a fresh install has none until BOOTSTRAP_ADMIN_KEY made one. */
  async anyUsableAdminKey(): Promise<boolean> {
    return this.uow.run(() => this.keys.anyUsableAdminKey());
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

  /**
   * The person a new agent acts for: the minter itself, or a person the minter may mint keys of
   * (an admin of every project); a principal out of its sight answers as if it did not exist.
   */
  private async actsForOrFail(minter: Principal, input: MintApiKeyInput, agentGrants: readonly RoleGrant[]): Promise<string> {
    if (input.kind !== 'agent') {
      throw new RequestException(RequestErrorCode.InvalidValue, 'acts_for is for an agent: set kind to "agent"', { field: 'acts_for' });
    }
    const person = await this.principals.findById(input.actsFor ?? '');
    const authority = person ? authorityOver(minter, person, Permission.ApiKeyCreate) : 'hidden';
    if (!person || authority === 'hidden') throw new IdentityException(IdentityErrorCode.PrincipalNotFound, 'no such principal');
    if (person.kind !== 'person') {
      throw new RequestException(RequestErrorCode.InvalidValue, 'an agent acts for a person; this principal is not one', {
        field: 'acts_for',
        kind: person.kind,
      });
    }
    if (authority === 'forbidden') {
      throw new IdentityException(
        IdentityErrorCode.Forbidden,
        'an agent acts for the person minting it, or is minted by an admin of every project',
        {
          principal_id: person.id,
        },
      );
    }
    if (person.disabled_at) {
      throw new IdentityException(IdentityErrorCode.PrincipalInactive, 'this person is disabled', { principal_id: person.id });
    }
    // Who answers for an agent works where it does.
    const personProjects = new Set(grantsFromText(person.role_grants).map((grant) => grant.project));
    const outside = agentGrants.find((grant) => !personProjects.has(ALL_PROJECTS) && !personProjects.has(grant.project));
    if (outside) {
      throw new RequestException(
        RequestErrorCode.InvalidValue,
        `the person an agent acts for holds no role on project ${outside.project}, where the agent would`,
        {
          field: 'acts_for',
          project_id: outside.project,
        },
      );
    }
    return person.id;
  }

  /** The principal a key is asked for: one the minter may mint for, and not disabled. */
  /**
   * A new service or agent principal, unless its name is taken (the unique index decides, so two
   * mints of one name at once make one principal). The holder's id is said to a minter that may
   * see it, so that it can mint the holder a key (principal_id) if that is what it meant.
   */
  private async newPrincipalOrFail(minter: Principal, input: Parameters<PrincipalRepository['insertService']>[0]): Promise<PrincipalRow> {
    const made = await this.principals.insertService(input);
    if (made) return made;
    const holder = await this.principals.findByName(input.name);
    const visible = holder !== null && authorityOver(minter, holder, Permission.ApiKeyCreate) !== 'hidden';
    throw new IdentityException(
      IdentityErrorCode.PrincipalNameTaken,
      `a principal named "${input.name}" exists already: to mint it another key, send its principal_id; for a new principal, choose another name`,
      { name: input.name, ...(visible ? { principal_id: holder.id } : {}) },
    );
  }

  private async principalForKeyOrFail(minter: Principal, principalId: string): Promise<PrincipalRow> {
    // Locked: a principal marked a service approver at this moment is either marked before (and refused here) or after this key.
    const principal = await this.principals.findById(principalId, { lock: true });
    const authority = principal ? authorityOver(minter, principal, Permission.ApiKeyCreate) : 'hidden';
    if (!principal || authority === 'hidden') throw new IdentityException(IdentityErrorCode.PrincipalNotFound, 'no such principal');
    if (authority === 'forbidden') {
      throw new IdentityException(
        IdentityErrorCode.Forbidden,
        principal.kind === 'person' ||
          principal.service_approver ||
          principal.role_grants.some((grant) => grant.endsWith(`@${ALL_PROJECTS}`))
          ? 'a key of this principal is minted only by the principal itself or by an admin of every project'
          : 'a key of this principal is minted only by the principal itself or by an admin of every project it holds a role on',
        { principal_id: principal.id },
      );
    }
    if (principal.disabled_at) {
      throw new IdentityException(IdentityErrorCode.PrincipalInactive, 'this principal is disabled: enable it before minting it a key', {
        principal_id: principal.id,
      });
    }
    return principal;
  }

  /** A new service principal holds what the minter may give: its admin grants' projects, and a service approver only from an admin of every project. */
  private keyGrantsOfNew(minter: Principal, input: MintApiKeyInput): RoleGrant[] {
    this.access.assertAllowed(minter, Permission.ApiKeyCreate);
    if (input.grants === undefined && (input.roles === undefined || input.projectIds === undefined)) {
      throw new RequestException(
        RequestErrorCode.MissingField,
        'role_grants, or roles and project_ids, are required for a key of a new principal',
        {
          fields: ['roles', 'project_ids'],
        },
      );
    }
    const grants = normalizeGrants(input.grants ?? product(input.roles ?? [], input.projectIds ?? []));
    for (const grant of grants) {
      if (!minter.can(Permission.ApiKeyCreate, grant.project)) {
        throw new IdentityException(IdentityErrorCode.Forbidden, `cannot grant a role on project ${grant.project} beyond this key's own`, {
          project_id: grant.project,
        });
      }
    }
    if (grants.some((grant) => grant.role === Role.Worker) && grants.some((grant) => grant.role !== Role.Worker)) {
      // A worker that could also approve, request or administer would carry out what it decided.
      throw new RequestException(RequestErrorCode.InvalidValue, 'the worker role is held alone: a worker principal holds no other role', {
        field: 'roles',
      });
    }
    if (input.kind === 'agent' && grants.some((grant) => grant.role === Role.Worker || grant.role === Role.Admin)) {
      throw new RequestException(
        RequestErrorCode.InvalidValue,
        'an agent is never a worker (a worker is a service) nor an admin (an admin mints keys, and so could make itself deciders)',
        { field: 'roles' },
      );
    }
    if (input.kind === 'agent' && input.serviceApprover === true) {
      throw new RequestException(RequestErrorCode.InvalidValue, 'an agent never decides a run, so it is never a service approver', {
        field: 'service_approver',
      });
    }
    if (input.serviceApprover === true) {
      this.access.assertEverywhere(
        minter,
        Permission.PrincipalManage,
        'only an admin of every project marks a service principal as an approver',
      );
      if (!grants.some((grant) => grant.role === Role.Approver || grant.role === Role.Admin)) {
        throw new RequestException(RequestErrorCode.InvalidValue, 'a service approver needs the approver (or admin) role', {
          field: 'service_approver',
        });
      }
    }
    return grants;
  }

  /**
   * Another key of an existing principal holds a subset of what it holds, and a key a principal
   * mints for itself holds a subset of what the minting credential holds.
   */
  private keyGrantsOfExisting(minter: Principal, target: PrincipalRow, input: MintApiKeyInput): RoleGrant[] {
    if (input.serviceApprover !== undefined) {
      throw new RequestException(
        RequestErrorCode.InvalidValue,
        'service_approver is set only on a new principal; mark an existing one through its principal',
        {
          field: 'service_approver',
        },
      );
    }
    const held = target.id === minter.id ? minter.grants : grantsFromText(target.role_grants);
    if (input.grants !== undefined) {
      if (!grantsWithin(input.grants, held)) throw beyondPrincipal(held);
      return normalizeGrants(input.grants);
    }
    const roles = input.roles ?? Object.values(Role);
    const grants = narrow(held, product(roles, input.projectIds ?? [ALL_PROJECTS]));
    const roleMissing = input.roles?.some((role) => !grants.some((grant) => grant.role === role));
    const projectMissing = input.projectIds?.some((project) => !grants.some((grant) => grant.project === project));
    if (roleMissing || projectMissing) throw beyondPrincipal(held);
    return grants;
  }

  /**
   * A key lives no longer than the key that mints it (whoever it is for: else a key about to
   * expire could mint a principal whose key never does, and that one a key for the first).
   * A person signed in with a token mints keys without that bound: their keys are bounded by
   * their identity provider's grants and the suspension of idle people.
   */
  private expiryOf(minter: Principal, asked: Date | undefined): Date | null {
    const bound = minter.credentialExpiresAt;
    if (!bound) return asked ?? null;
    if (asked && asked.getTime() > bound.getTime()) {
      throw new RequestException(RequestErrorCode.InvalidValue, 'a key cannot outlive the key that mints it', {
        field: 'expires_at',
        minting_key_expires_at: bound.toISOString(),
      });
    }
    return asked ?? bound;
  }
}

function beyondPrincipal(held: readonly RoleGrant[]): IdentityException {
  return new IdentityException(
    IdentityErrorCode.Forbidden,
    'a key cannot hold a role on a project its principal (or the minting key) does not',
    {
      principal_role_grants: grantsToText(held),
    },
  );
}

/** A principal as a key (when given) narrows it. */
export function principalOf(row: PrincipalRow, key?: Pick<ApiKeyRow, 'id' | 'role_grants' | 'expires_at'>): Principal {
  const held = grantsFromText(row.role_grants);
  return new Principal(row.id, row.name, key ? narrow(held, grantsFromText(key.role_grants)) : held, {
    kind: row.kind as PrincipalKind,
    credential: key ? `api_key:${key.id}` : `principal:${row.id}`,
    credentialExpiresAt: key?.expires_at ? new Date(key.expires_at) : null,
    actsFor: row.acts_for,
  });
}

export function keyNotFound(): IdentityException {
  return new IdentityException(IdentityErrorCode.ApiKeyNotFound, 'no such API key');
}

function keyIdOf(credential: string | null): string | null {
  return credential?.startsWith('api_key:') ? credential.slice('api_key:'.length) : null;
}
