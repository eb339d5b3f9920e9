import { Injectable } from '@nestjs/common';
import { RunLocator } from '@lib/approval';
import { AUTH_CODE_PATTERN } from './grant.table';
import { GrantService } from './grant.service';

/** For the approval gate: the run a grant route acts on, found through the grant's auth code. */
@Injectable()
export class GrantRunLocator implements RunLocator {
  constructor(private readonly grants: GrantService) {}

  async locate(params: Record<string, string | undefined>): Promise<string | null> {
    const authCode = params.auth_code;
    if (!authCode || !AUTH_CODE_PATTERN.test(authCode)) return null;
    return this.grants.runOf(authCode);
  }
}
