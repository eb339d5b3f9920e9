import { Injectable } from '@nestjs/common';

/** Where secret values come from. Environment-backed by default; a vault would implement the same. */
export interface SecretProvider {
  /** The value of a named secret, or null when there is none. */
  resolve(name: string): Promise<string | null>;
}

export const SECRET_PROVIDER = Symbol('SECRET_PROVIDER');

/** `{"$secret": "db_password"}` reads env SECRET_DB_PASSWORD. */
@Injectable()
export class EnvSecretProvider implements SecretProvider {
  async resolve(name: string): Promise<string | null> {
    const value = process.env[`SECRET_${name.toUpperCase()}`];
    return value === undefined || value === '' ? null : value;
  }
}
