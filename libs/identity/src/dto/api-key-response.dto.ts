import { ApiProperty } from '@nestjs/swagger';
import { ALL_PROJECTS, Role } from '../permissions';
import { grantsFromText, RoleGrant } from '../principal';
import { ApiKeyRow } from '../api-key.table';
import { PrincipalRow } from '../principal.table';

/** A role on a project (`*`: every project). */
export class RoleGrantDto {
  @ApiProperty({ enum: Role }) role!: Role;
  @ApiProperty({ description: 'A project id, or * for every project', example: 'payments' }) project_id!: string;

  static list(grants: readonly RoleGrant[]): RoleGrantDto[] {
    return grants.map((grant) => ({ role: grant.role, project_id: grant.project }));
  }
}

const GRANTS_DESCRIPTION = 'What it holds: each role on its project. A role on one project never lends it to another.';
const ROLES_DESCRIPTION = 'The roles it holds on some project (a summary of role_grants)';
const PROJECTS_DESCRIPTION = 'The projects it holds some role on, or ["*"] (a summary of role_grants)';

/** The summaries beside the grants, for readers that show a list. */
function summaryOf(grants: readonly RoleGrant[]): { roles: Role[]; project_ids: string[] } {
  const projects = new Set(grants.map((grant) => grant.project));
  return {
    roles: [...new Set(grants.map((grant) => grant.role))].sort(),
    project_ids: projects.has(ALL_PROJECTS) ? [ALL_PROJECTS] : [...projects].sort(),
  };
}

/** A key as anyone may see it: never its secret, nor its hash. */
export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid', description: 'The person or service the key belongs to' }) principal_id!: string;
  @ApiProperty({ description: "The principal's name" }) principal_name!: string;
  @ApiProperty({ description: 'The first characters of the key, to recognise it' }) key_prefix!: string;
  @ApiProperty({ type: [RoleGrantDto], description: GRANTS_DESCRIPTION }) role_grants!: RoleGrantDto[];
  @ApiProperty({ enum: Role, isArray: true, description: ROLES_DESCRIPTION }) roles!: Role[];
  @ApiProperty({ type: [String], description: PROJECTS_DESCRIPTION }) project_ids!: string[];
  @ApiProperty({ description: 'The principal that minted it' }) created_by!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expires_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'To the minute' }) last_used_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revoked_at!: string | null;
  @ApiProperty({ type: String, nullable: true }) revoked_by!: string | null;
  @ApiProperty({ type: String, nullable: true }) revoked_reason!: string | null;

  static from(row: ApiKeyRow, principalName: string): ApiKeyDto {
    const grants = grantsFromText(row.role_grants);
    return {
      id: row.id,
      name: row.name,
      principal_id: row.principal_id,
      principal_name: principalName,
      key_prefix: row.key_prefix,
      role_grants: RoleGrantDto.list(grants),
      ...summaryOf(grants),
      created_by: row.created_by,
      created_at: row.created_at.toISOString(),
      expires_at: row.expires_at?.toISOString() ?? null,
      last_used_at: row.last_used_at?.toISOString() ?? null,
      revoked_at: row.revoked_at?.toISOString() ?? null,
      revoked_by: row.revoked_by,
      revoked_reason: row.revoked_reason,
    };
  }
}

/** A key just minted: the only time its secret is shown. */
export class ApiKeyResponseDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself. Shown only in this response; store it now.' }) key!: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto], description: 'Newest first' }) keys!: ApiKeyDto[];
}

/** For an agent: the person it acts for (one description for both views of a principal). */
const ACTS_FOR = {
  type: String,
  format: 'uuid',
  nullable: true,
  description: 'For an agent: the person it acts for, who answers for what it asks',
};

export class PrincipalDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['person', 'service', 'agent'] }) kind!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [RoleGrantDto], description: 'What the credential used allows: each role on its project' })
  role_grants!: RoleGrantDto[];
  @ApiProperty({ enum: Role, isArray: true, description: ROLES_DESCRIPTION }) roles!: Role[];
  @ApiProperty({ type: [String], description: PROJECTS_DESCRIPTION }) project_ids!: string[];
  @ApiProperty({ description: 'The credential of this request: api_key:<id> or oidc:<token id>' }) credential!: string;
  @ApiProperty(ACTS_FOR) acts_for!: string | null;

  static of(principal: {
    id: string;
    kind: string;
    name: string;
    grants: readonly RoleGrant[];
    credential: string;
    actsFor: string | null;
  }): PrincipalDto {
    return {
      id: principal.id,
      kind: principal.kind,
      name: principal.name,
      acts_for: principal.actsFor,
      role_grants: RoleGrantDto.list(principal.grants),
      ...summaryOf(principal.grants),
      credential: principal.credential,
    };
  }
}

/** A principal as an admin sees it: what it holds, whether its votes count, whether it is disabled. */
export class PrincipalDetailDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['person', 'service', 'agent'] }) kind!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [RoleGrantDto], description: GRANTS_DESCRIPTION }) role_grants!: RoleGrantDto[];
  @ApiProperty({ enum: Role, isArray: true, description: ROLES_DESCRIPTION }) roles!: Role[];
  @ApiProperty({ type: [String], description: PROJECTS_DESCRIPTION }) project_ids!: string[];
  @ApiProperty({
    description: "A service whose votes count as an approver's (marked by an admin of every project); every other vote must be a person's",
  })
  service_approver!: boolean;
  @ApiProperty(ACTS_FOR) acts_for!: string | null;
  @ApiProperty({ description: "Who made it: a principal id, 'identity-provider' for a person, 'system' for the bootstrap admin" })
  created_by!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: "A person's last sign-in (to the minute)" })
  last_seen_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Set while every credential of it is refused' })
  disabled_at!: string | null;
  @ApiProperty({ type: String, nullable: true }) disabled_by!: string | null;
  @ApiProperty({ type: String, nullable: true }) disabled_reason!: string | null;

  static from(row: PrincipalRow): PrincipalDetailDto {
    const grants = grantsFromText(row.role_grants);
    return {
      id: row.id,
      kind: row.kind,
      name: row.name,
      role_grants: RoleGrantDto.list(grants),
      ...summaryOf(grants),
      service_approver: row.service_approver,
      acts_for: row.acts_for,
      created_by: row.created_by,
      created_at: row.created_at.toISOString(),
      last_seen_at: row.last_seen_at?.toISOString() ?? null,
      disabled_at: row.disabled_at?.toISOString() ?? null,
      disabled_by: row.disabled_by,
      disabled_reason: row.disabled_reason,
    };
  }
}
