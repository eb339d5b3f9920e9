import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { PRINCIPALS_TABLE, PrincipalRow } from './principal.table';
import { API_KEYS_TABLE } from './api-key.table';

const T = PRINCIPALS_TABLE.name;
const KEYS = API_KEYS_TABLE.name;
/** The rows whose name is unique (the predicate of the index principals_name). */
const NAME_HELD = `issuer IS NULL AND created_by <> 'system' AND NOT name_shared_before`;

/** What an answer shows of a principal it names: enough for a person to recognise it. */
export interface PrincipalCard {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly acts_for: string | null;
  readonly disabled: boolean;
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How often a person's last sign-in is written at most: a person signing in all day must not write on every request. */
const LAST_SEEN_RESOLUTION_S = 60;

/** The governance lib's SQL for principals. */
@Injectable()
export class PrincipalRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * A service principal (its first key usually shares its id, so the two read as one); null when
   * another one holds the name (a concurrent insert of it is waited for, then seen).
   */
  async insertService(input: {
    id: string;
    kind: 'service' | 'agent';
    /** For an agent: the person it acts for. */
    actsFor: string | null;
    name: string;
    roleGrants: string[];
    serviceApprover: boolean;
    createdBy: string;
    /** The credential it was made with: whoever holds that one made it. */
    createdVia: string | null;
  }): Promise<PrincipalRow | null> {
    const [row] = await this.uow.query<PrincipalRow>(
      `INSERT INTO ${T} (id, kind, acts_for, name, role_grants, service_approver, created_by, created_via)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT ((lower(name))) WHERE ${NAME_HELD} DO NOTHING RETURNING *`,
      [input.id, input.kind, input.actsFor, input.name, input.roleGrants, input.serviceApprover, input.createdBy, input.createdVia],
    );
    return row ?? null;
  }

  /** The service or agent principal that holds this name, in any case (principals_name), if any. */
  async findByName(name: string): Promise<PrincipalRow | null> {
    const rows = await this.uow.query<PrincipalRow>(`SELECT * FROM ${T} WHERE lower(name) = lower($1) AND ${NAME_HELD}`, [name]);
    return rows[0] ?? null;
  }

  async findById(id: string, options: { lock?: boolean } = {}): Promise<PrincipalRow | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.uow.query<PrincipalRow>(`SELECT * FROM ${T} WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  async findByIdentity(issuer: string, subject: string): Promise<PrincipalRow | null> {
    const rows = await this.uow.query<PrincipalRow>(`SELECT * FROM ${T} WHERE issuer = $1 AND subject = $2`, [issuer, subject]);
    return rows[0] ?? null;
  }

  /** A person seen for the first time; null when another request made it first. */
  async insertSignedIn(input: { issuer: string; subject: string; name: string; roleGrants: string[] }): Promise<PrincipalRow | null> {
    const rows = await this.uow.query<PrincipalRow>(
      `INSERT INTO ${T} (kind, name, role_grants, issuer, subject, created_by, last_seen_at)
       VALUES ('person', $1, $2, $3, $4, 'identity-provider', now())
       ON CONFLICT (issuer, subject) WHERE issuer IS NOT NULL DO NOTHING RETURNING *`,
      [input.name, input.roleGrants, input.issuer, input.subject],
    );
    return rows[0] ?? null;
  }

  /**
   * What the identity provider's claims give a person now, and that it was seen (written only
   * when something changed, or the last sign-in is older than the resolution).
   */
  async updateSignedIn(input: { id: string; name: string; roleGrants: string[] }): Promise<void> {
    await this.uow.query(
      `UPDATE ${T} SET name = $2, role_grants = $3, last_seen_at = now()
       WHERE id = $1 AND ((name, role_grants) IS DISTINCT FROM ($2, $3::text[])
                          OR last_seen_at IS NULL OR last_seen_at < now() - make_interval(secs => ${LAST_SEEN_RESOLUTION_S}))`,
      [input.id, input.name, input.roleGrants],
    );
  }

  /** Disables an enabled principal (null when it already was disabled). */
  async disable(input: { id: string; by: string; reason: string }): Promise<PrincipalRow | null> {
    const rows = await this.uow.query<PrincipalRow>(
      `UPDATE ${T} SET disabled_at = now(), disabled_by = $2, disabled_reason = $3 WHERE id = $1 AND disabled_at IS NULL RETURNING *`,
      [input.id, input.by, input.reason],
    );
    return rows[0] ?? null;
  }

  /** Enables a disabled principal (null when it was not disabled). */
  async enable(id: string): Promise<PrincipalRow | null> {
    const rows = await this.uow.query<PrincipalRow>(
      `UPDATE ${T} SET disabled_at = NULL, disabled_by = NULL, disabled_reason = NULL WHERE id = $1 AND disabled_at IS NOT NULL RETURNING *`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Marks a service principal as an approver whose votes count, or unmarks it (null when nothing changed). */
  async setServiceApprover(id: string, serviceApprover: boolean): Promise<PrincipalRow | null> {
    const rows = await this.uow.query<PrincipalRow>(
      `UPDATE ${T} SET service_approver = $2 WHERE id = $1 AND kind = 'service' AND service_approver <> $2 RETURNING *`,
      [id, serviceApprover],
    );
    return rows[0] ?? null;
  }

  /**
   * Share-locks these principals until the transaction ends, so that one disabled (or unmarked) at
   * this moment either is so before a count of their votes, or waits until it has committed.
   */
  async hold(ids: readonly string[]): Promise<void> {
    await this.uow.query(`SELECT principals_hold($1::text[])`, [ids]);
  }

  /** Who these principals are (ids that are not principals, e.g. "system", are left out). */
  describe(ids: readonly string[]): Promise<PrincipalCard[]> {
    const known = [...new Set(ids)].filter((id) => UUID.test(id));
    if (known.length === 0) return Promise.resolve([]);
    return this.uow.query<PrincipalCard>(
      `SELECT id::text AS id, kind, name, acts_for::text AS acts_for, disabled_at IS NOT NULL AS disabled FROM ${T} WHERE id = ANY($1::uuid[])`,
      [known],
    );
  }

  /**
   * The enabled principals holding one of these role grants (`role@project`, `role@*`) that
   * principal_decision_refusal lets decide a run of the requester, but for those excluded; by
   * name. A person decides with its sign-in; anyone else only with a live key of its own that
   * holds the grant too (and that the rule accepts: a pinned one).
   */
  eligibleDeciders(input: {
    grants: readonly string[];
    requester: string;
    requesterCredential: string | null;
    excluded: readonly string[];
    limit: number;
  }): Promise<PrincipalCard[]> {
    return this.uow.query<PrincipalCard>(
      `SELECT id::text AS id, kind, name, acts_for::text AS acts_for, false AS disabled FROM ${T}
       WHERE role_grants && $1::text[] AND disabled_at IS NULL AND NOT (id::text = ANY($3::text[]))
         AND CASE WHEN kind = 'person' THEN principal_decision_refusal(id::text, NULL, $2, $4) IS NULL
                  ELSE EXISTS (SELECT 1 FROM ${KEYS} k
                               WHERE k.principal_id = ${T}.id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
                                 AND k.role_grants && $1::text[]
                                 AND principal_decision_refusal(${T}.id::text, 'api_key:' || k.id, $2, $4) IS NULL) END
       ORDER BY name, id LIMIT $5`,
      [input.grants, input.requester, input.excluded, input.requesterCredential, input.limit],
    );
  }

  /** Why the decider may not decide a run of the requester (principal_decision_refusal), or null. */
  async decisionRefusal(input: {
    voter: string;
    voterCredential: string | null;
    requester: string;
    requesterCredential: string | null;
  }): Promise<string | null> {
    const [row] = await this.uow.query<{ refusal: string | null }>(`SELECT principal_decision_refusal($1, $2, $3, $4) AS refusal`, [
      input.voter,
      input.voterCredential,
      input.requester,
      input.requesterCredential,
    ]);
    return row?.refusal ?? null;
  }

  /** The bootstrap admin's principal, made or restored to admin of every project (a disabled one stays disabled). */
  async upsertBootstrapAdmin(id: string): Promise<void> {
    await this.uow.query(
      `INSERT INTO ${T} (id, kind, name, role_grants, created_by) VALUES ($1, 'service', 'bootstrap-admin', ARRAY['admin@*'], 'system')
       ON CONFLICT (id) DO UPDATE SET role_grants = ARRAY['admin@*']`,
      [id],
    );
  }
}
