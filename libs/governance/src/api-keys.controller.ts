import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS, CommandContext } from '@lib/common';
import { ApiKeyService } from './api-key.service';
import { CurrentContext, CurrentPrincipal, RequirePermission } from './auth.decorators';
import { ApiKeyResponseDto } from './dto/api-key-response.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { GovernanceErrorCode } from './governance.exception';
import { Permission } from './permissions';
import { Principal } from './principal';

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeyService) {}

  @Post()
  @HttpCode(201)
  @RequirePermission(Permission.ApiKeyCreate)
  @ApiOperation({ summary: 'Mint an API key (admin). The key is returned once.' })
  @ApiErrors({
    400: BODY_ERRORS,
    401: [GovernanceErrorCode.Unauthenticated],
    403: [GovernanceErrorCode.Forbidden],
  })
  @ApiCreatedResponse({ type: ApiKeyResponseDto })
  async create(
    @CurrentPrincipal() principal: Principal,
    @CurrentContext() ctx: CommandContext,
    @Body() body: CreateApiKeyDto,
  ): Promise<ApiKeyResponseDto> {
    const minted = await this.apiKeys.mint(principal, { name: body.name, roles: body.roles, projectIds: body.project_ids }, ctx);
    return ApiKeyResponseDto.from(minted);
  }
}
