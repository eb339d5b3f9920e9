import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsCursor } from '@lib/common';

export class EventsQueryDto {
  @ApiPropertyOptional({ description: 'Only events after this position (the id of the last event seen)' })
  @IsOptional()
  @IsCursor()
  after?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 30, description: 'Long-poll: seconds to wait for a new event when there is none yet' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(30)
  wait?: number;
}
