import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { PRINCIPALS_TABLE, PrincipalRow } from './principal.table';

const T = PRINCIPALS_TABLE.name;

/** The governance lib's SQL for principals. */
@Injectable()
export class PrincipalRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** A service principal (its first key usually shares its id, so the two read as one). */
  async insertService(input: {
    id: string;
    name: string;
    roles: string[];
    projectIds: string[];
    createdBy: string;
  }): Promise<PrincipalRow> {
    const [row] = await this.uow.query<PrincipalRow>(
      `INSERT INTO ${T} (id, kind, name, roles, project_ids, created_by) VALUES ($1, 'service', $2, $3, $4, $5) RETURNING *`,
      [input.id, input.name, input.roles, input.projectIds, input.createdBy],
    );
    return row;
  }

  async findById(id: string, options: { lock?: boolean } = {}): Promise<PrincipalRow | null> {
    const rows = await this.uow.query<PrincipalRow>(`SELECT * FROM ${T} WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  findByIds(ids: readonly string[]): Promise<PrincipalRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.uow.query<PrincipalRow>(`SELECT * FROM ${T} WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async findByIdentity(issuer: string, subject: string): Promise<PrincipalRow | null> {
    const rows = await this.uow.query<PrincipalRow>(`SELECT * FROM ${T} WHERE issuer = $1 AND subject = $2`, [issuer, subject]);
    return rows[0] ?? null;
  }

  /** A person seen for the first time; null when another request made it first. */
  async insertSignedIn(input: {
    issuer: string;
    subject: string;
    name: string;
    roles: string[];
    projectIds: string[];
  }): Promise<PrincipalRow | null> {
    const rows = await this.uow.query<PrincipalRow>(
      `INSERT INTO ${T} (kind, name, roles, project_ids, issuer, subject, created_by)
       VALUES ('person', $1, $2, $3, $4, $5, 'identity-provider')
       ON CONFLICT (issuer, subject) WHERE issuer IS NOT NULL DO NOTHING RETURNING *`,
      [input.name, input.roles, input.projectIds, input.issuer, input.subject],
    );
    return rows[0] ?? null;
  }

  /** What the identity provider's claims give a person now (written only when it changed). */
  async updateGrants(input: { id: string; name: string; roles: string[]; projectIds: string[] }): Promise<void> {
    await this.uow.query(
      `UPDATE ${T} SET name = $2, roles = $3, project_ids = $4
       WHERE id = $1 AND (name, roles, project_ids) IS DISTINCT FROM ($2, $3::text[], $4::text[])`,
      [input.id, input.name, input.roles, input.projectIds],
    );
  }

  /** The bootstrap admin's principal, made or restored to admin of every project. */
  async upsertBootstrapAdmin(id: string): Promise<void> {
    await this.uow.query(
      `INSERT INTO ${T} (id, kind, name, roles, project_ids, created_by) VALUES ($1, 'service', 'bootstrap-admin', ARRAY['admin'], ARRAY['*'], 'system')
       ON CONFLICT (id) DO UPDATE SET roles = ARRAY['admin'], project_ids = ARRAY['*']`,
      [id],
    );
  }
}
