import { ApiProperty } from '@nestjs/swagger';
import { AuditEventEntity } from '../audit-event.entity';

export class AuditEventDto {
  @ApiProperty({ description: 'Position in the global audit log' }) id!: string;
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  @ApiProperty({ example: 'run.created' }) type!: string;
  @ApiProperty({ description: 'API key id, or "system"' }) actor!: string;
  @ApiProperty({ nullable: true, type: String }) request_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) project_id!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) execution_id!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) occurred_at!: string;
  @ApiProperty({ nullable: true, type: String, description: 'run:<id>, project:<id> or global' }) chain_key!: string | null;
  @ApiProperty({ nullable: true, type: String }) prev_hash!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256(prev_hash || canonical JSON of the event)' }) hash!: string | null;

  static from(event: AuditEventEntity): AuditEventDto {
    return {
      id: event.id,
      event_id: event.eventId,
      type: event.eventType,
      actor: event.actor,
      request_id: event.requestId,
      project_id: event.projectId,
      execution_id: event.executionRunId,
      data: event.data,
      occurred_at: new Date(event.occurredAt).toISOString(),
      chain_key: event.chainKey,
      prev_hash: event.prevHash,
      hash: event.hash,
    };
  }
}
