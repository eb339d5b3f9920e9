import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule, AuditQueryService } from '@lib/audit';
import { ConfigError, ConfigModule, loadConfig } from '@lib/config';
import { DatabaseModule } from '@lib/database';

@Module({ imports: [ConfigModule.forRoot(), DatabaseModule.forRoot(), AuditModule] })
class AuditExportModule {}

/**
 * `npm run audit:export -- [--after <cursor>]`: the audit trail of the database named by
 * DATABASE_URL as JSON Lines on stdout, for a SIEM: one event a line, oldest first, with its
 * chain, prev_hash and hash (occurred_at exactly as hashed, so a copy can be verified). The last
 * line on stderr is `{"next_after":"<cursor>"}`: pass it as --after next time to get only what
 * was committed since, with no gap and no repeat. Without --after, from the first event.
 */
async function main(): Promise<void> {
  const after = cursorOf(process.argv.slice(2));
  if (!loadConfig(process.env).databaseUrl) throw new ConfigError('DATABASE_URL must name the database to export');
  const app = await NestFactory.createApplicationContext(AuditExportModule, { logger: false });
  let events = 0;
  try {
    const { next, pastNewest } = await app.get(AuditQueryService).export({
      after,
      write: async (event) => {
        events++;
        if (!process.stdout.write(`${JSON.stringify(event)}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
      },
    });
    if (pastNewest !== null) {
      throw new UsageError(
        `the cursor ${after} is past the newest event (${pastNewest}): pass the next_after of an earlier export of this database`,
      );
    }
    process.stderr.write(`${JSON.stringify({ events, next_after: next })}\n`);
  } finally {
    await app.close();
  }
}

function cursorOf(args: string[]): string {
  if (args.length === 0) return '0';
  if (args.length === 2 && args[0] === '--after' && /^[0-9]{1,19}$/.test(args[1]) && BigInt(args[1]) <= MAX_BIGINT) return args[1];
  throw new UsageError('usage: npm run audit:export -- [--after <cursor>] (the cursor is the next_after of the previous export)');
}

class UsageError extends Error {}

/** PostgreSQL's bigint, the type of an event's id. */
const MAX_BIGINT = 9223372036854775807n;

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
