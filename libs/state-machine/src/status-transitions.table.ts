import { defineTable } from '@lib/database';

/** The legal transitions per axis, in PostgreSQL: the triggers of the axis tables read it. */
export const STATUS_TRANSITIONS_TABLE = defineTable('status_transitions', 'state-machine', {
  axis: 'text',
  from_status: 'text',
  to_status: 'text',
});
