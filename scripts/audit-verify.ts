import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule, AuditQueryService } from '@lib/audit';
import { ConfigError, ConfigModule, loadConfig } from '@lib/config';
import { DatabaseModule } from '@lib/database';

@Module({ imports: [ConfigModule.forRoot(), DatabaseModule.forRoot(), AuditModule] })
class AuditVerifyModule {}

/**
 * `npm run audit:verify`: recomputes every audit hash chain in the database named by
 * DATABASE_URL and reports the first broken link. Exits 1 when a chain is broken.
 */
async function main(): Promise<void> {
  if (!loadConfig(process.env).databaseUrl) throw new ConfigError('DATABASE_URL must name the database to verify');
  const app = await NestFactory.createApplicationContext(AuditVerifyModule, { logger: false });
  try {
    const report = await app.get(AuditQueryService).verify();
    process.stdout.write(`${JSON.stringify({ ok: report.broken === null, ...report }, null, 2)}\n`);
    if (report.broken) process.exitCode = 1;
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
