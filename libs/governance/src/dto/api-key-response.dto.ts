import { ApiProperty } from '@nestjs/swagger';
import { Role } from '../permissions';
import { MintedApiKey } from '../api-key.service';

export class ApiKeyResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'The key itself. Shown only in this response; store it now.' }) key!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: Role, isArray: true }) roles!: Role[];
  @ApiProperty({ type: [String] }) project_ids!: string[];
  @ApiProperty({ format: 'date-time' }) created_at!: string;

  static from(minted: MintedApiKey): ApiKeyResponseDto {
    return {
      id: minted.id,
      key: minted.key,
      name: minted.name,
      roles: minted.roles,
      project_ids: minted.projectIds,
      created_at: minted.createdAt.toISOString(),
    };
  }
}
