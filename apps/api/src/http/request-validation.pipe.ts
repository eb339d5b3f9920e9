import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import {
  CURSOR_CONSTRAINT,
  JSON_OBJECT_CONSTRAINT,
  RequestErrorCode,
  RequestException,
  STORABLE_JSON_CONSTRAINT,
  STORABLE_TEXT_CONSTRAINT,
} from '@lib/common';

/** class-validator constraint names and the error code each one earns. */
const CONSTRAINT_CODES: Readonly<Record<string, RequestErrorCode>> = {
  whitelistValidation: RequestErrorCode.UnknownField,
  isDefined: RequestErrorCode.MissingField,
  isString: RequestErrorCode.InvalidType,
  isArray: RequestErrorCode.InvalidType,
  isObject: RequestErrorCode.InvalidType,
  isBoolean: RequestErrorCode.InvalidType,
  isInt: RequestErrorCode.InvalidType,
  isNumber: RequestErrorCode.InvalidType,
  [JSON_OBJECT_CONSTRAINT]: RequestErrorCode.InvalidType,
  isEnum: RequestErrorCode.InvalidValue,
  isIn: RequestErrorCode.InvalidValue,
  [STORABLE_JSON_CONSTRAINT]: RequestErrorCode.InvalidValue,
  [STORABLE_TEXT_CONSTRAINT]: RequestErrorCode.InvalidValue,
  [CURSOR_CONSTRAINT]: RequestErrorCode.InvalidCursor,
  isNotEmpty: RequestErrorCode.InvalidLength,
  isLength: RequestErrorCode.InvalidLength,
  minLength: RequestErrorCode.InvalidLength,
  maxLength: RequestErrorCode.InvalidLength,
  arrayMinSize: RequestErrorCode.InvalidLength,
  arrayMaxSize: RequestErrorCode.InvalidLength,
  matches: RequestErrorCode.InvalidFormat,
  isDateString: RequestErrorCode.InvalidFormat,
  isIso8601: RequestErrorCode.InvalidFormat,
};

/** When a field breaks several rules, the most basic one names the error. */
const PRIORITY: readonly RequestErrorCode[] = [
  RequestErrorCode.UnknownField,
  RequestErrorCode.MissingField,
  RequestErrorCode.InvalidType,
  RequestErrorCode.ParamsNotObject,
  RequestErrorCode.InvalidLength,
  RequestErrorCode.InvalidFormat,
  RequestErrorCode.InvalidValue,
];

interface Violation {
  field: string;
  code: RequestErrorCode;
  message: string;
}

/**
 * The global ValidationPipe (whitelist, forbidNonWhitelisted, transform) with one error code per
 * kind of violation. The most basic violation of the first bad field names the response's code;
 * all of them are in details.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: true },
      exceptionFactory: (errors) => toRequestException(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      // A bodiless POST validates as an empty object, so required fields are reported as missing.
      if (value === undefined) value = {};
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new RequestException(RequestErrorCode.BodyNotObject, 'the request body must be a JSON object');
      }
    }
    // Nest strips some names (prototype, constructor) from the value before validating it: they
    // are read first, and answered as unknown fields like any other name the DTO does not have.
    const sent = isObject(value) ? Object.keys(value) : [];
    const result: unknown = await super.transform(value, metadata);
    if (metadata.metatype && metadata.metatype !== Object && isObject(result)) {
      for (const key of sent) {
        if (!Object.prototype.hasOwnProperty.call(result, key)) {
          const message = `property ${key} should not exist`;
          throw new RequestException(RequestErrorCode.UnknownField, message, {
            violations: [{ field: key, code: RequestErrorCode.UnknownField, message }],
          });
        }
      }
    }
    return result;
  }
}

export function toRequestException(errors: ValidationError[]): RequestException {
  const violations = flatten(errors, '');
  const first = violations[0] ?? { field: '', code: RequestErrorCode.BadRequest, message: 'invalid request' };
  return new RequestException(first.code, first.message, { violations });
}

function flatten(errors: ValidationError[], prefix: string): Violation[] {
  const violations: Violation[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      field,
      code: codeFor(constraint, field, error.value),
      message,
    }));
    own.sort((a, b) => rank(a.code) - rank(b.code));
    violations.push(...own);
    violations.push(...flatten(error.children ?? [], field));
  }
  return violations;
}

function rank(code: RequestErrorCode): number {
  const index = PRIORITY.indexOf(code);
  return index === -1 ? PRIORITY.length : index;
}

function codeFor(constraint: string, field: string, value: unknown): RequestErrorCode {
  if (constraint === 'whitelistValidation') return RequestErrorCode.UnknownField;
  if (value === undefined) return RequestErrorCode.MissingField;
  if (field === 'params' && constraint === JSON_OBJECT_CONSTRAINT) return RequestErrorCode.ParamsNotObject;
  return CONSTRAINT_CODES[constraint] ?? RequestErrorCode.InvalidValue;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
