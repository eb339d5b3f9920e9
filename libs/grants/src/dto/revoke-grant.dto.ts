import { ReasonField } from '@lib/common';

export class RevokeGrantDto {
  @ReasonField('Required: why the grant is revoked')
  reason!: string;
}
