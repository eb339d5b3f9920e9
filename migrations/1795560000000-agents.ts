import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agents: a third kind of principal, for AI agents that request runs (their tool calls, through
 * the MCP gateway). An agent may act for a person (acts_for), who is accountable for what it
 * asks; neither the agent nor that person decides the agent's runs (principal_decision_refusal).
 * An agent is never a service approver (principals_service_approvers_are_services), a worker
 * (principals_workers_are_services) nor an admin (principals_agents_never_admin: an admin mints
 * keys, and so could make itself deciders). That acts_for names a person, and never a principal that is
 * not one, is kept by a trigger (its body: routines/identity.principals-acts-for.ts).
 *
 * And approvals.opened_by: who changed the plan that opened a lane, when it was not the run's
 * requester (one who may decide the run may edit it, e.g. an agent's tool arguments); that
 * principal's vote on the lane is refused (routines/approval.decisions-guard.ts).
 */
export class Agents1795560000000 implements MigrationInterface {
  name = 'Agents1795560000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`ALTER TABLE principals
               DROP CONSTRAINT principals_kind_check,
               ADD CONSTRAINT principals_kind_check CHECK (kind IN ('person', 'service', 'agent')),
               ADD COLUMN acts_for uuid REFERENCES principals (id),
               ADD CONSTRAINT principals_acts_for_agents CHECK (acts_for IS NULL OR kind = 'agent'),
               ADD CONSTRAINT principals_acts_for_other CHECK (acts_for <> id),
               ADD CONSTRAINT principals_agents_never_admin CHECK (kind <> 'agent' OR array_to_string(role_grants, ',') !~ '(^|,)admin@')`);
    // Left by 1795520000000 beside the four-argument one, and answering "may decide" to anyone: nothing calls it.
    await q(`DROP FUNCTION IF EXISTS principal_decision_refusal(text, text)`);
    // A plan changed by one who may decide the run (an approver editing an agent's arguments) opens
    // a lane that person does not decide: someone else approves what they wrote.
    await q(`ALTER TABLE approvals ADD COLUMN opened_by text CHECK (opened_by IS NULL OR length(opened_by) BETWEEN 1 AND 200)`);
    await q(`CREATE INDEX principals_acts_for ON principals (acts_for) WHERE acts_for IS NOT NULL`);
    await q(`
      CREATE OR REPLACE FUNCTION principals_acts_for_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RETURN NEW;
      END $$`);
    await q(`CREATE TRIGGER principals_acts_for_guard BEFORE INSERT OR UPDATE OF acts_for, kind ON principals
             FOR EACH ROW EXECUTE FUNCTION principals_acts_for_guard()`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
