import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@lib/config';
import { ApiKeyService } from '@lib/identity';

/** Makes BOOTSTRAP_ADMIN_KEY an admin key at start, so a fresh install can mint keys. */
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
}
