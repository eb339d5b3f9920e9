import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule, AuditQueryService } from '@lib/audit';
import { ConfigModule, loadConfig } from '@lib/config';
import { DatabaseModule, databaseOfRunningService } from '@lib/database';

/**
 * `npm run audit:verify`: recomputes every audit hash chain in the database named by
 * DATABASE_URL (or, when it is unset, the running `npm start`'s embedded one) and reports the
 * first broken link. Exits 1 when a chain is broken.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const url = await databaseOfRunningService(config);
  @Module({ imports: [ConfigModule.forRoot(config.withDatabaseUrl(url)), DatabaseModule.forRoot(), AuditModule] })
  class AuditVerifyModule {}
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
