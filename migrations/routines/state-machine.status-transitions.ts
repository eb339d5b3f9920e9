import { RoutineEntry } from '@lib/database';
import { RUN_AXIS, STEP_AXIS } from '@lib/execution';
import { APPROVAL_AXIS } from '@lib/approval';
import { GRANT_AXIS } from '@lib/grants';

const AXES = [RUN_AXIS, STEP_AXIS, APPROVAL_AXIS, GRANT_AXIS] as ReadonlyArray<{
  name: string;
  transitions: ReadonlyArray<readonly [string, string]>;
}>;

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * The legal transitions of every status axis, as the axes in TypeScript state them (the one
 * place they are written): the triggers of the axis tables refuse any status change this view
 * does not list, so an illegal UPDATE fails even when code is wrong.
 */
export const stateMachineStatusTransitions: RoutineEntry = {
  file: 'state-machine.status-transitions.ts',
  owner: 'state-machine',
  sql: `
    CREATE OR REPLACE VIEW status_transitions AS
    SELECT axis, from_status, to_status FROM (VALUES
      ${AXES.flatMap((axis) => axis.transitions.map(([from, to]) => `(${literal(axis.name)}, ${literal(from)}, ${literal(to)})`)).join(',\n      ')}
    ) AS t(axis, from_status, to_status)`,
};
