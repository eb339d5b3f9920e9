import { Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiV1Controller } from '@lib/common';
import { Authenticated, IdentityErrorCode } from '@lib/identity';
import { ActionTypeDto, ActionTypesResponseDto } from './dto/action-type-response.dto';

import { Permission } from '@lib/identity';
import { PolicyService } from './policy.service';

@ApiTags('governance')
@ApiV1Controller('governance')
export class PolicyController {
  constructor(private readonly policy: PolicyService) {}

  @Get('action-types')
  @Authenticated(Permission.PolicyRead)
  @ApiOperation({
    summary: 'The action types of the loaded policy',
    description:
      'Every action a run may request, with its approval level, quorum, approver roles, approval lifetime and allowed scopes, and the hash of the policy they come from.',
  })
  @ApiOkResponse({ type: ActionTypesResponseDto })
  @ApiErrors({ 401: [IdentityErrorCode.Unauthenticated], 403: [IdentityErrorCode.Forbidden] })
  listActionTypes(): ActionTypesResponseDto {
    return { policy_hash: this.policy.hash, action_types: this.policy.list().map((actionType) => ActionTypeDto.from(actionType)) };
  }
}
