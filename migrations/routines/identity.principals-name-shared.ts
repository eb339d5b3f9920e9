import { RoutineEntry } from '@lib/database';

/**
 * name_shared_before marks the principals that shared a name before names were unique (set once,
 * by migration 1795580000000): no row made or changed since may take the mark, or it would slip
 * a new duplicate past the unique index.
 */
export const identityPrincipalsNameShared: RoutineEntry = {
  file: 'identity.principals-name-shared.ts',
  owner: 'identity',
  sql: `
    CREATE OR REPLACE FUNCTION principals_name_shared_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.name_shared_before AND (TG_OP = 'INSERT' OR NOT OLD.name_shared_before) THEN
        RAISE EXCEPTION 'only principals that shared a name before names were unique are marked name_shared_before'
          USING ERRCODE = 'check_violation', CONSTRAINT = 'principals_name_shared_before';
      END IF;
      RETURN NEW;
    END $$`,
};
