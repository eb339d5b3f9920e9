import { ApiProperty } from '@nestjs/swagger';
import { Role } from '../../permissions';
import { ApiKeyRow } from '../api-key.table';

/** A key as anyone may see it: never its secret, nor its hash. */
export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid', description: 'The person or service the key belongs to' }) principal_id!: string;
  @ApiProperty({ description: "The principal's name" }) principal_name!: string;
  @ApiProperty({ description: 'The first characters of the key, to recognise it' }) key_prefix!: string;
  @ApiProperty({ enum: Role, isArray: true }) roles!: Role[];
  @ApiProperty({ type: [String] }) project_ids!: string[];
  @ApiProperty({ description: 'The principal that minted it' }) created_by!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expires_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'To the minute' }) last_used_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revoked_at!: string | null;
  @ApiProperty({ type: String, nullable: true }) revoked_by!: string | null;
  @ApiProperty({ type: String, nullable: true }) revoked_reason!: string | null;

  static from(row: ApiKeyRow, principalName: string): ApiKeyDto {
    return {
      id: row.id,
      name: row.name,
      principal_id: row.principal_id,
      principal_name: principalName,
      key_prefix: row.key_prefix,
      roles: row.roles as Role[],
      project_ids: row.project_ids,
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

export class PrincipalDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['person', 'service'] }) kind!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: Role, isArray: true, description: 'As the credential used allows them' }) roles!: Role[];
  @ApiProperty({ type: [String] }) project_ids!: string[];
  @ApiProperty({ description: 'The credential of this request: api_key:<id> or oidc:<token id>' }) credential!: string;
}
