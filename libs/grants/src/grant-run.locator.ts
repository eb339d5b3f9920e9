import { Injectable } from '@nestjs/common';
import { RunLocator } from '@lib/approval';
import { Principal } from '@lib/identity';
import { AUTH_CODE_PATTERN } from './grant.table';
import { GrantService } from './grant.service';
import { GrantErrorCode, GrantException } from './grants.exception';

/** For the approval gate: the run a grant route acts on, found through the grant's auth code. */
@Injectable()
export class GrantRunLocator implements RunLocator {
  constructor(private readonly grants: GrantService) {}

  /**
   * A code that is not one: 400 invalid_auth_code, as on every other grant route; an unknown
   * grant, or one of a project the caller does not cover: 404 grant_not_found; both before the
   * gate says anything.
   */
  async locate(params: Record<string, string | undefined>, principal: Principal): Promise<string | null> {
    const authCode = params.auth_code;
    if (!authCode || !AUTH_CODE_PATTERN.test(authCode)) {
      throw new GrantException(GrantErrorCode.InvalidAuthCode, 'auth_code must look like GBA-<run id>');
    }
    return (await this.grants.get(principal, authCode)).execution_run_id;
  }
}
