import { Injectable, PipeTransform } from '@nestjs/common';
import { ExecutionErrorCode, ExecutionException } from './execution.exception';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Refuses a malformed execution id with 400 before anything touches the database. */
@Injectable()
export class ParseExecutionIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw new ExecutionException(ExecutionErrorCode.InvalidExecutionId, 'execution_id must be a UUID');
    }
    return value.toLowerCase();
  }
}
