import { ReasonField } from '@lib/common';

export class CancelRunDto {
  @ReasonField('Required: why the run is cancelled')
  reason!: string;
}
