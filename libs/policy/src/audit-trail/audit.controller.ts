import { Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, RequestErrorCode, ApiV1Controller } from '@lib/common';
import { AuditEventDto } from '@lib/audit';
import { CurrentPrincipal, Authenticated, IdentityErrorCode } from '@lib/identity';

import { Permission } from '@lib/identity';
import { Principal } from '@lib/identity';
import { AuditEventsPageDto, AuditEventsQueryDto, LifecycleCountersDto, VerifyQueryDto, VerifyResponseDto } from './audit-trail.dto';
import { AuditTrailService } from './audit-trail.service';
import { PolicyErrorCode } from '../policy.exception';

const DEFAULT_PAGE = 100;

@ApiTags('audit')
@ApiV1Controller()
export class AuditController {
  constructor(private readonly trail: AuditTrailService) {}

  @Get('audit/events')
  @Authenticated(Permission.AuditRead)
  @ApiOperation({
    summary: 'Audit events filtered by project, run, type, actor and time; keyset pages, oldest first',
    description:
      'A key scoped to some projects must filter by project_id or execution_id. Pass next_after back as after for the next page.',
  })
  @ApiOkResponse({ type: AuditEventsPageDto })
  @ApiErrors({
    400: [
      RequestErrorCode.InvalidType,
      RequestErrorCode.InvalidFormat,
      RequestErrorCode.InvalidValue,
      RequestErrorCode.UnknownField,
      RequestErrorCode.InvalidCursor,
    ],
    401: [IdentityErrorCode.Unauthenticated],
    403: [IdentityErrorCode.Forbidden],
    404: [PolicyErrorCode.AuditChainNotFound],
  })
  async events(@CurrentPrincipal() principal: Principal, @Query() query: AuditEventsQueryDto): Promise<AuditEventsPageDto> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const events = await this.trail.list(principal, {
      projectId: query.project_id,
      executionRunId: query.execution_id,
      type: query.type,
      actor: query.actor,
      from: query.from === undefined ? undefined : new Date(query.from),
      to: query.to === undefined ? undefined : new Date(query.to),
      after: query.after,
      limit,
    });
    return {
      events: events.map((event) => AuditEventDto.from(event)),
      next_after: events.length === limit ? events[events.length - 1].id : null,
    };
  }

  @Get('audit/verify')
  @Authenticated(Permission.AuditRead)
  @ApiOperation({
    summary: "Recompute a run's audit hash chain and report the first broken link",
    description:
      "Recomputes SHA-256(prev_hash || canonical JSON) for every event of the run's chain, which outlives the run; ok is false with the first broken link when an event was changed or removed.",
  })
  @ApiOkResponse({ type: VerifyResponseDto })
  @ApiErrors({
    400: [RequestErrorCode.MissingField, RequestErrorCode.InvalidFormat],
    401: [IdentityErrorCode.Unauthenticated],
    403: [IdentityErrorCode.Forbidden],
    404: [PolicyErrorCode.AuditChainNotFound],
  })
  async verify(@CurrentPrincipal() principal: Principal, @Query() query: VerifyQueryDto): Promise<VerifyResponseDto> {
    const report = await this.trail.verifyRun(principal, query.execution_id.toLowerCase());
    return {
      ok: report.broken === null,
      chains: report.chains,
      events: report.events,
      unchained: report.unchained,
      first_broken_link: report.broken,
    };
  }

  @Get('governance/metrics')
  @Authenticated(Permission.AuditRead)
  @ApiOperation({
    summary: 'Approval lifecycle counters (requested, approved, rejected, deferred, expired, invalidated), from the audit trail',
    description: 'Counted over every project from the audit trail; needs a key scoped to every project.',
  })
  @ApiOkResponse({ type: LifecycleCountersDto })
  @ApiErrors({ 401: [IdentityErrorCode.Unauthenticated], 403: [IdentityErrorCode.Forbidden] })
  async metrics(@CurrentPrincipal() principal: Principal): Promise<LifecycleCountersDto> {
    return (await this.trail.counters(principal)) as unknown as LifecycleCountersDto;
  }
}
