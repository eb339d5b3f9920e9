import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, ConfigError } from '@lib/config';
import { ApiKeyService } from '@lib/identity';

/**
 * Makes BOOTSTRAP_ADMIN_KEY an admin key at start, so a fresh install can mint keys; and, on a
 * database of the operator's own, refuses to serve an install that nobody could administer.
 */
@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdminService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly apiKeys: ApiKeyService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const key = this.config.values.bootstrapAdminKey;
    if (!key) {
      this.logger.warn('BOOTSTRAP_ADMIN_KEY is not set: no admin key was provisioned at start');
      return;
    }
    if ((await this.apiKeys.ensureBootstrapAdmin(key)) === 'revoked') {
      this.logger.error('BOOTSTRAP_ADMIN_KEY names a key that was revoked; it stays revoked (set another key to provision one)');
      return;
    }
    this.logger.log('bootstrap admin key provisioned');
  }

  /**
   * Throws when nobody could administer this install: no BOOTSTRAP_ADMIN_KEY, no sign-in through
   * an identity provider, and no usable admin key in the database. main.ts asks on a database of
   * the operator's own; `npm start` on the embedded database serves without an admin, as before.
   * Once an admin exists the variable may be unset again: no admin credential must stay in the
   * environment for good.
   */
  async assertAdministrableOrThrow(): Promise<void> {
    if (this.config.values.bootstrapAdminKey || this.config.values.oidc) return;
    if (await this.apiKeys.anyUsableAdminKey()) return;
    throw new ConfigError(
      'BOOTSTRAP_ADMIN_KEY must be set: the database holds no usable admin key and OIDC sign-in is off, so nobody could administer this install (set it to a secret of 16+ characters; it may be unset once an admin exists)',
    );
  }
}
