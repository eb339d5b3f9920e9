import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, isISO8601, IsOptional, IsString, Matches, Max, Min, ValidationOptions, registerDecorator } from 'class-validator';
import { findUnstorableJson, isCursor, isStorableString } from './storable-json';

/** A code: a project id, an action type, a name in a path (1-128 of A-Z a-z 0-9 . _ : -). */
export const CODE_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** A project scope: a project id, or `*` for every project. */
export const PROJECT_SCOPE_PATTERN = /^(\*|[A-Za-z0-9._:-]{1,128})$/;

/** Constraint names the HTTP edge maps to error codes. */
export const JSON_OBJECT_CONSTRAINT = 'isJsonObject';
export const STORABLE_JSON_CONSTRAINT = 'isStorableJson';
export const STORABLE_TEXT_CONSTRAINT = 'isStorableText';
export const CURSOR_CONSTRAINT = 'isCursor';

/** A plain JSON object (not an array, not null). */
export function IsJsonObject(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: JSON_OBJECT_CONSTRAINT,
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `$property must be a JSON object`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value) },
    });
}

/** JSON that PostgreSQL can store and RFC 8785 can canonicalize (see findUnstorableJson). */
export function IsStorableJson(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: STORABLE_JSON_CONSTRAINT,
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: `$property holds a value that cannot be stored (NUL, lone surrogate, non-finite number or nesting deeper than 32)`,
        ...options,
      },
      validator: { validate: (value: unknown) => findUnstorableJson(value) === null },
    });
}

/** Text without NUL or lone surrogates (each element, with `each: true`). */
export function IsStorableText(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: STORABLE_TEXT_CONSTRAINT,
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `$property must be text without NUL characters or lone surrogates`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && isStorableString(value) },
    });
}

/**
 * Text of min..max characters as PostgreSQL counts them (char_length: code points). class-
 * validator's Length counts a character and a variation selector after it as one, so a value it
 * passes could still break a CHECK on the column. Earns invalid_length, as Length does.
 */
export function TextLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isLength',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [min, max],
      options: { message: `$property must be ${min} to ${max} characters`, ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          let count = 0;
          for (const _ of value) if (++count > max) return false;
          return count >= min;
        },
      },
    });
}

/** A required reason (kept in the audit trail): 1..2000 characters, not only spaces, storable. */
export function ReasonField(description: string): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ minLength: 1, maxLength: 2000, description }),
    IsString(),
    TextLength(1, 2000),
    Matches(/\S/),
    IsStorableText(),
  );
}

/** A page size in a query string: 1..500, 100 when absent. */
export function PageLimitField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(500),
  );
}

/** A keyset cursor: a position (bigint) as decimal text, within bigint's range. */
export function IsCursor(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: CURSOR_CONSTRAINT,
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `$property must be a position: 1 to 19 digits, at most ${'9223372036854775807'}`, ...options },
      validator: { validate: (value: unknown) => isCursor(value) },
    });
}

/** An ISO 8601 date-time PostgreSQL can store: years 1 to 9999. */
/** Whether the text is a strict ISO 8601 date-time in years 1 to 9999 (what PostgreSQL stores as given). */
export function isStorableTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || !isISO8601(value, { strict: true })) return false;
  const year = new Date(value).getUTCFullYear();
  return year >= 1 && year <= 9999;
}

export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isIso8601',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: '$property must be an ISO 8601 date-time from year 1 to 9999', ...options },
      validator: {
        validate: (value: unknown) => isStorableTimestamp(value),
      },
    });
}

/** What makes two names look alike to a reader while they differ: a space at either end, invisible or control characters, another Unicode form. */
function isReadableName(value: string): boolean {
  return value.trim() === value && value !== '' && !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(value) && value.normalize('NFC') === value;
}

/**
 * A name people read to tell principals apart (an approver, a receiver, an auditor): no space at
 * either end, no invisible or control character (a zero-width space, a direction mark), and in
 * Unicode NFC, so that two names that look the same are the same text. Earns invalid_value.
 */
export function IsReadableName(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isReadableName',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: '$property must be a readable name: no space at either end, no invisible or control characters, written in Unicode NFC',
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value === 'string' && isReadableName(value) },
    });
}
