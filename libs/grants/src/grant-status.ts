import { defineStatusAxis } from '@lib/state-machine';
import { GRANTS_TABLE, GrantRow } from './grant.table';

export enum GrantStatus {
  Active = 'active',
  Consumed = 'consumed',
  Revoked = 'revoked',
  Expired = 'expired',
}

/** A grant's status axis. PostgreSQL holds the same table (status_transitions). */
export const GRANT_AXIS = defineStatusAxis<GrantStatus, GrantRow>({
  name: 'grant',
  table: GRANTS_TABLE,
  key: 'auth_code',
  transitions: [
    [GrantStatus.Active, GrantStatus.Consumed],
    [GrantStatus.Active, GrantStatus.Revoked],
    [GrantStatus.Active, GrantStatus.Expired],
  ],
  settable: ['consumed_at', 'consumed_by', 'revoked_at', 'revoked_by', 'revoked_reason'],
});
