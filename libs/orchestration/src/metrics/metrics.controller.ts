import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '@lib/common';
import { CurrentPrincipal, Permission, Principal, Authenticated, IdentityErrorCode } from '@lib/identity';
import { MetricsScrapeService } from './metrics-scrape.service';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly scraper: MetricsScrapeService) {}

  @Get()
  @Authenticated(Permission.MetricsRead)
  @ApiOperation({
    summary: 'Prometheus metrics of this API process, and the gauges read from PostgreSQL',
    description:
      'The Prometheus text exposition format (version 0.0.4): HTTP request durations by route template and status, runs by status, ' +
      'queue depth and the age of the oldest claimable run, pending approvals by level, open dead letters, the approval lifecycle ' +
      'counters, the database pool and the process. Needs metrics:read (the monitor role) and a key scoped to every project.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The exposition text (Content-Type: text/plain; version=0.0.4; charset=utf-8)',
    content: { 'text/plain': { schema: { type: 'string', example: 'control_plane_queue_depth 0\n' } } },
  })
  @ApiErrors({ 401: [IdentityErrorCode.Unauthenticated], 403: [IdentityErrorCode.Forbidden] })
  async scrape(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const text = await this.scraper.render(principal);
    void reply.header('content-type', this.scraper.contentType);
    return text;
  }
}
