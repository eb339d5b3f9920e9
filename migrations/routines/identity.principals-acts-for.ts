import { RoutineEntry } from '@lib/database';

/**
 * An agent acts for a person, never for a service or another agent (the person is who answers
 * for what the agent asks); and a person some agent acts for stays a person.
 */
export const identityPrincipalsActsFor: RoutineEntry = {
  file: 'identity.principals-acts-for.ts',
  owner: 'identity',
  sql: `
    CREATE OR REPLACE FUNCTION principals_acts_for_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.acts_for IS NOT NULL AND NOT EXISTS (SELECT 1 FROM principals WHERE id = NEW.acts_for AND kind = 'person') THEN
        RAISE EXCEPTION 'an agent acts for a person: % is not one', NEW.acts_for
          USING ERRCODE = 'check_violation', CONSTRAINT = 'principals_acts_for_person';
      END IF;
      IF TG_OP = 'UPDATE' AND NEW.kind <> 'person' AND EXISTS (SELECT 1 FROM principals WHERE acts_for = NEW.id) THEN
        RAISE EXCEPTION 'an agent acts for %, which stays a person', NEW.id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'principals_acts_for_person';
      END IF;
      RETURN NEW;
    END $$`,
};
