import { Injectable, PipeTransform } from '@nestjs/common';
import { AUTH_CODE_PATTERN } from './grant.table';
import { GrantErrorCode, GrantException } from './grants.exception';

@Injectable()
export class ParseAuthCodePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !AUTH_CODE_PATTERN.test(value)) {
      throw new GrantException(GrantErrorCode.InvalidAuthCode, 'auth_code must look like GBA-<run id>');
    }
    return value;
  }
}
