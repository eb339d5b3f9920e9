import { Inject, Injectable } from '@nestjs/common';
import { SECRET_MASKER } from '@lib/common';
import { SECRET_PROVIDER, SecretProvider } from './secret-provider';

const NAME = /^[A-Za-z0-9_]{1,64}$/;
const MIN_SECRET_LENGTH = 8;

export class SecretResolutionError extends Error {}

/**
 * Resolves `{"$secret": "name"}` references just in time, in the worker, for one step's input.
 * Every value is registered with the masker before it is handed to the handler, so it is
 * redacted from every log line and from anything stored afterwards. Params keep the reference.
 */
@Injectable()
export class SecretResolverService {
  constructor(@Inject(SECRET_PROVIDER) private readonly provider: SecretProvider) {
    // A configured secret is masked from the start: a tool's or a worker's result that happens to hold
    // one is redacted even in a process that has not resolved it yet (after a restart, on another instance).
    for (const value of provider.knownValues?.() ?? []) if (value.length >= MIN_SECRET_LENGTH) SECRET_MASKER.register(value);
  }

  async resolve<T>(value: T): Promise<T> {
    if (Array.isArray(value)) return (await Promise.all(value.map((item) => this.resolve(item)))) as T;
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === '$secret') return (await this.secret(entries[0][1])) as T;
    const resolved = await Promise.all(entries.map(async ([key, item]) => [key, await this.resolve(item)] as const));
    return Object.fromEntries(resolved) as T;
  }

  private async secret(name: unknown): Promise<string> {
    if (typeof name !== 'string' || !NAME.test(name))
      throw new SecretResolutionError('a $secret reference must name a secret ([A-Za-z0-9_]{1,64})');
    const value = await this.provider.resolve(name);
    if (value === null) throw new SecretResolutionError(`secret "${name}" is not configured`);
    if (value.length < MIN_SECRET_LENGTH)
      throw new SecretResolutionError(`secret "${name}" is shorter than ${MIN_SECRET_LENGTH} characters and could not be masked safely`);
    SECRET_MASKER.register(value);
    return value;
  }
}
