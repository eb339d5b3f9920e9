import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '@lib/identity';
import { ApiErrors } from '@lib/common';
import { DatabaseErrorCode } from '@lib/database';

class LivenessDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

class CheckDto {
  @ApiProperty({ enum: ['up', 'down'] }) status!: string;
}

class ChecksDto {
  @ApiProperty({ type: CheckDto }) database!: CheckDto;
}

/** The readiness answer, as @nestjs/terminus writes it. */
class ReadinessDto {
  @ApiProperty({ enum: ['ok'] }) status!: string;
  @ApiProperty({ type: ChecksDto }) info!: ChecksDto;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Empty when ready' }) error!: Record<string, unknown>;
  @ApiProperty({ type: ChecksDto }) details!: ChecksDto;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
  ) {}

  @Get('live')
  @Public()
  @ApiOperation({
    summary: 'The process is up',
    description: 'Answers 200 while the process runs, whatever the database does: for a liveness probe.',
  })
  @ApiOkResponse({ type: LivenessDto })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOkResponse({ type: ReadinessDto })
  @ApiErrors({ 503: [DatabaseErrorCode.DatabaseUnavailable] })
  @ApiOperation({
    summary: 'The database answers',
    description:
      'Answers 200 when PostgreSQL answers a ping within 2 s, else 503 database_unavailable with Retry-After: for a readiness probe.',
  })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 2000 })]);
  }
}
