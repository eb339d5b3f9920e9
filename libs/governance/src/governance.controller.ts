import { Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiV1Controller } from '@lib/common';
import { Authenticated } from './auth.decorators';
import { ActionTypeDto, ActionTypesResponseDto } from './dto/action-type-response.dto';
import { GovernanceErrorCode } from './governance.exception';
import { Permission } from './permissions';
import { PolicyService } from './policy/policy.service';

@ApiTags('governance')
@ApiV1Controller('governance')
export class GovernanceController {
  constructor(private readonly policy: PolicyService) {}

  @Get('action-types')
  @Authenticated(Permission.PolicyRead)
  @ApiOperation({
    summary: 'The action types of the loaded policy',
    description:
      'Every action a run may request, with its approval level, quorum, approver roles, approval lifetime and allowed scopes, and the hash of the policy they come from.',
  })
  @ApiOkResponse({ type: ActionTypesResponseDto })
  @ApiErrors({ 401: [GovernanceErrorCode.Unauthenticated], 403: [GovernanceErrorCode.Forbidden] })
  listActionTypes(): ActionTypesResponseDto {
    return { policy_hash: this.policy.hash, action_types: this.policy.list().map((actionType) => ActionTypeDto.from(actionType)) };
  }
}
