import { Injectable } from '@nestjs/common';
import { AppConfig } from '@lib/config';

/** Where secret values come from. The configuration (SECRET_<NAME>) by default; a vault would implement the same. */
export interface SecretProvider {
  /** The value of a named secret, or null when there is none. */
  resolve(name: string): Promise<string | null>;
  /** Every value it holds now, where it can list them: masked from the start, not only once a run has named them. */
  knownValues?(): readonly string[];
}

export const SECRET_PROVIDER = Symbol('SECRET_PROVIDER');

/** `{"$secret": "db_password"}` reads SECRET_DB_PASSWORD, as the configuration captured it at start. */
@Injectable()
export class ConfigSecretProvider implements SecretProvider {
  constructor(private readonly config: AppConfig) {}

  resolve(name: string): Promise<string | null> {
    return Promise.resolve(this.config.secret(name));
  }

  knownValues(): readonly string[] {
    return [...this.config.values.secrets.values()];
  }
}
