import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Remote workers: the worker role, which carries out approved runs of remote action types in
 * its projects. A grant may now name it; only a service principal (and its keys) may hold it, and
 * then no other role (a worker that could approve or request would carry out what it decided), so
 * a person never reports a step, and a worker never counts as an approver (its votes are refused
 * as not_a_person, as any service's).
 */
export class RemoteWorkers1795550000000 implements MigrationInterface {
  name = 'RemoteWorkers1795550000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    const grant = `(requester|approver|admin|monitor|worker)@(\\*|[A-Za-z0-9._:-]{1,128})`;
    const wellFormed = (column: string) =>
      `array_position(${column}, NULL) IS NULL AND (cardinality(${column}) = 0 OR array_to_string(${column}, ',') ~ '^${grant}(,${grant})*$')`;
    const noWorker = `array_to_string(role_grants, ',') !~ '(^|,)worker@'`;
    const onlyWorker = `array_to_string(role_grants, ',') ~ '^worker@[^,]+(,worker@[^,]+)*$'`;
    await q(`ALTER TABLE principals
               DROP CONSTRAINT principals_role_grants_check,
               ADD CONSTRAINT principals_role_grants_check CHECK (${wellFormed('role_grants')}),
               ADD CONSTRAINT principals_workers_are_services CHECK (kind = 'service' OR ${noWorker}),
               ADD CONSTRAINT principals_worker_role_alone CHECK (${noWorker} OR ${onlyWorker})`);
    await q(`ALTER TABLE api_keys
               DROP CONSTRAINT api_keys_role_grants_check,
               ADD CONSTRAINT api_keys_role_grants_check CHECK (cardinality(role_grants) > 0 AND ${wellFormed('role_grants')})`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
