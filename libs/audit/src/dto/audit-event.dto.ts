import { ApiProperty } from '@nestjs/swagger';
import { AuditEventRow } from '../audit-event.table';

export class AuditEventDto {
  @ApiProperty({ description: 'Position in the global audit log' }) id!: string;
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  @ApiProperty({ example: 'run.created' }) type!: string;
  @ApiProperty({ description: 'The principal who acted (its id), or "system" (or a worker) for the control plane itself' }) actor!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The credential the actor used: api_key:<id> or oidc:<token id>' })
  actor_credential!: string | null;
  @ApiProperty({ nullable: true, type: String }) request_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) project_id!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) execution_id!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) occurred_at!: string;
  /** run:<id>, project:<id> or global */
  chain_key!: string | null;
  prev_hash!: string | null;
  /** SHA-256(prev_hash || canonical JSON of the event) */
  hash!: string | null;

  static from(event: AuditEventRow): AuditEventDto {
    return {
      id: event.id,
      event_id: event.event_id,
      type: event.event_type,
      actor: event.actor,
      actor_credential: event.actor_credential ?? null,
      request_id: event.request_id,
      project_id: event.project_id,
      execution_id: event.execution_run_id,
      data: event.data,
      occurred_at: event.occurred_at.toISOString(),
      chain_key: event.chain_key,
      prev_hash: event.prev_hash,
      hash: event.hash,
    };
  }
}
