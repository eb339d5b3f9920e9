import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEnum, IsOptional } from 'class-validator';
import { ReasonField } from '@lib/common';
import { ExecutionMode, ExecutionModeRow, ExecutionModeScope } from '../execution-mode.table';
import { ExecutionModesView } from '../execution-mode.service';

export class SetExecutionModeDto {
  @ApiProperty({
    enum: ExecutionMode,
    description:
      'enabled: runs execute. record_only: runs are created, approved and audited; the handler is not run and the run ends RECORDED. disabled: new runs are refused (422 action_disabled); approved ones wait in the queue.',
  })
  @IsEnum(ExecutionMode)
  mode!: ExecutionMode;

  @ReasonField('Why (kept in the audit trail)')
  reason!: string;

  @ApiPropertyOptional({
    description:
      'For an action type: true switches one the loaded policy does not have (yet), so that it arrives in that mode (a dark launch). Left out, such an action is refused with 404 action_not_found, so a mistyped action is never switched in silence',
  })
  @IsOptional()
  @IsBoolean()
  ahead_of_policy?: boolean;
}

export class ExecutionModeDto {
  @ApiProperty({ enum: ExecutionModeScope }) scope!: ExecutionModeScope;
  @ApiProperty({ description: 'The action type code, or the approval level (0-3) as text' }) key!: string;
  @ApiProperty({ enum: ExecutionMode }) mode!: ExecutionMode;
  @ApiProperty() reason!: string;
  @ApiProperty({ description: 'The principal that switched it' }) changed_by!: string;
  @ApiProperty({ format: 'date-time' }) changed_at!: string;
  @ApiProperty({ type: 'integer', description: 'How many times it was switched' }) version!: number;

  static from(row: ExecutionModeRow): ExecutionModeDto {
    return {
      scope: row.kind as ExecutionModeScope,
      key: row.key,
      mode: row.mode as ExecutionMode,
      reason: row.reason,
      changed_by: row.changed_by,
      changed_at: row.changed_at.toISOString(),
      version: row.version,
    };
  }
}

export class ActionTypeModeDto {
  @ApiProperty() action!: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 3 }) approval_level!: number;
  @ApiProperty({ enum: ExecutionMode, description: "The most restrictive of the action's and the level's mode" })
  effective_mode!: ExecutionMode;
}

export class ExecutionModesResponseDto {
  @ApiProperty({ type: [ExecutionModeDto], description: 'Every switch made (an action or level without one is enabled)' })
  modes!: ExecutionModeDto[];

  @ApiProperty({ type: [ActionTypeModeDto] })
  action_types!: ActionTypeModeDto[];

  static from(view: ExecutionModesView): ExecutionModesResponseDto {
    return {
      modes: view.rows.map((row) => ExecutionModeDto.from(row)),
      action_types: view.actionTypes.map((entry) => ({
        action: entry.action,
        approval_level: entry.approvalLevel,
        effective_mode: entry.effectiveMode,
      })),
    };
  }
}
