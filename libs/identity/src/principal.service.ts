import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { AccessService } from './access.service';

import { ALL_PROJECTS, Permission, Role } from './permissions';
import { grantsFromText, Principal } from './principal';
import { authorityOver } from './principal-authority';
import { PrincipalCard, PrincipalRepository } from './principal.repository';
import { PrincipalRow } from './principal.table';
import { IdentityErrorCode, IdentityException } from './identity.exception';

/** Why a principal may not decide a run (principal_decision_refusal in PostgreSQL). */
export type DecisionRefusal =
  | 'self'
  | 'unknown_principal'
  | 'disabled'
  | 'agent'
  | 'not_a_person'
  | 'accountable_for_the_requester'
  | 'key_not_pinned'
  | 'made_the_requester'
  | 'made_by_the_requester'
  | 'same_maker';

/**
 * Principals' lifecycle: read one, disable it (every credential refused at the next request, on
 * every instance: nothing caches a principal), enable it again, and mark a service principal as
 * an approver whose votes count. Disabling and enabling take an admin whose grants cover the
 * principal's (the rule that also governs minting it keys); marking a service approver takes an
 * admin of every project. Each change is audited with its reason.
 */
@Injectable()
export class PrincipalService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly principals: PrincipalRepository,
  ) {}

  async get(caller: Principal, id: string): Promise<PrincipalRow> {
    this.access.assertAllowed(caller, Permission.SelfRead);
    const principal = await this.principals.findById(id);
    if (principal && principal.id === caller.id) return principal;
    this.access.assertAllowed(caller, Permission.ApiKeyRead);
    if (!principal || authorityOver(caller, principal, Permission.ApiKeyRead) === 'hidden') throw principalNotFound();
    return principal;
  }

  async disable(caller: Principal, input: { id: string; reason: string }, ctx: CommandContext): Promise<PrincipalRow> {
    this.access.assertAllowed(caller, Permission.PrincipalManage);
    return this.uow.run(async () => {
      const principal = await this.manageableOrFail(caller, input.id);
      if (principal.id === caller.id) {
        throw new IdentityException(IdentityErrorCode.Forbidden, 'a principal cannot disable itself; another admin can');
      }
      const disabled = await this.principals.disable({ id: principal.id, by: ctx.actor.id, reason: input.reason });
      if (!disabled) {
        throw new IdentityException(IdentityErrorCode.PrincipalAlreadyDisabled, 'this principal is already disabled', {
          disabled_at: principal.disabled_at?.toISOString() ?? null,
        });
      }
      await this.audit.record({
        type: AuditEventType.PrincipalDisabled,
        ctx,
        data: { principal_id: principal.id, kind: principal.kind, reason: input.reason },
      });
      return disabled;
    });
  }

  async enable(caller: Principal, input: { id: string; reason: string }, ctx: CommandContext): Promise<PrincipalRow> {
    this.access.assertAllowed(caller, Permission.PrincipalManage);
    return this.uow.run(async () => {
      const principal = await this.manageableOrFail(caller, input.id);
      await this.assertMayLift(caller, principal);
      const enabled = await this.principals.enable(principal.id);
      if (!enabled) throw new IdentityException(IdentityErrorCode.PrincipalNotDisabled, 'this principal is not disabled');
      await this.audit.record({
        type: AuditEventType.PrincipalEnabled,
        ctx,
        data: { principal_id: principal.id, kind: principal.kind, reason: input.reason, disabled_reason: principal.disabled_reason },
      });
      return enabled;
    });
  }

  /** Marks (or unmarks) a service principal as an approver whose votes count: an admin of every project only, audited. */
  async setServiceApprover(
    caller: Principal,
    input: { id: string; serviceApprover: boolean; reason: string },
    ctx: CommandContext,
  ): Promise<PrincipalRow> {
    this.access.assertEverywhere(
      caller,
      Permission.PrincipalManage,
      'only an admin of every project marks a service principal as an approver',
    );
    return this.uow.run(async () => {
      const principal = await this.principals.findById(input.id, { lock: true });
      if (!principal) throw principalNotFound();
      if (principal.kind !== 'service') {
        throw new IdentityException(IdentityErrorCode.Forbidden, 'only a service principal is marked; a person decides as a person', {
          kind: principal.kind,
        });
      }
      if (principal.disabled_at) {
        throw new IdentityException(IdentityErrorCode.PrincipalInactive, 'this principal is disabled: enable it first');
      }
      const changed = await this.principals.setServiceApprover(principal.id, input.serviceApprover);
      if (!changed) return principal;
      await this.audit.record({
        type: AuditEventType.PrincipalServiceApproverChanged,
        ctx,
        data: { principal_id: principal.id, service_approver: input.serviceApprover, reason: input.reason },
      });
      return changed;
    });
  }

  /** Why the decider (with this credential) may not decide a run requested by the requester (with its credential), or null: the rule is PostgreSQL's. */
  async decisionRefusal(input: {
    voter: string;
    voterCredential: string | null;
    requester: string;
    requesterCredential: string | null;
  }): Promise<DecisionRefusal | null> {
    return (await this.principals.decisionRefusal(input)) as DecisionRefusal | null;
  }

  /** Who these principals are, for an answer that names them, and the people those that are agents act for: one card each (the caller has checked it may see what names them). */
  async describeWithAccountable(ids: readonly string[]): Promise<PrincipalCard[]> {
    const named = await this.principals.describe(ids);
    const known = new Set(named.map((card) => card.id));
    const behind = named.map((card) => card.acts_for).filter((id): id is string => id !== null && !known.has(id));
    return [...named, ...(await this.principals.describe(behind))];
  }

  /** Principals that may decide a run of the requester with one of these roles on the project (a summary for a reviewer; the vote checks again). */
  eligibleDeciders(input: {
    roles: readonly string[];
    projectId: string;
    requester: string;
    requesterCredential: string | null;
    excluded: readonly string[];
    limit: number;
  }): Promise<PrincipalCard[]> {
    const grants = input.roles.flatMap((role) => [`${role}@${input.projectId}`, `${role}@${ALL_PROJECTS}`]);
    return this.principals.eligibleDeciders({ ...input, grants });
  }

  /** Holds these principals as they are until the transaction ends (a count of their votes stands at its commit). */
  hold(ids: readonly string[]): Promise<void> {
    return this.principals.hold(ids);
  }

  /** A disable by an admin of every project (a principal found compromised) is lifted only by one too. */
  private async assertMayLift(caller: Principal, principal: PrincipalRow): Promise<void> {
    if (!principal.disabled_by || caller.can(Permission.PrincipalManage, ALL_PROJECTS)) return;
    const disabler = await this.principals.findById(principal.disabled_by);
    if (disabler && grantsFromText(disabler.role_grants).some((grant) => grant.role === Role.Admin && grant.project === ALL_PROJECTS)) {
      throw new IdentityException(
        IdentityErrorCode.Forbidden,
        'an admin of every project disabled this principal; only one may enable it',
        {
          disabled_by: principal.disabled_by,
        },
      );
    }
  }

  private async manageableOrFail(caller: Principal, id: string): Promise<PrincipalRow> {
    const principal = await this.principals.findById(id, { lock: true });
    const authority = principal ? authorityOver(caller, principal, Permission.PrincipalManage) : 'hidden';
    if (!principal || authority === 'hidden') throw principalNotFound();
    if (authority === 'forbidden') {
      throw new IdentityException(IdentityErrorCode.Forbidden, "this principal holds roles beyond this key's admin grants", {
        principal_id: principal.id,
      });
    }
    return principal;
  }
}

export function principalNotFound(): IdentityException {
  return new IdentityException(IdentityErrorCode.PrincipalNotFound, 'no such principal');
}
