import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule, AuditQueryService, BrokenLink } from '@lib/audit';
import { ConfigModule, loadConfig } from '@lib/config';
import { DatabaseModule } from '@lib/database';

export interface AuditVerdict {
  readonly ok: boolean;
  readonly chains: number;
  readonly events: number;
  readonly broken: BrokenLink | null;
}

/**
 * Recomputes every hash chain of the audit trail with the library function `npm run
 * audit:verify` and GET /api/v1/audit/verify use (AuditQueryService.verify), on the campaign's
 * database.
 */
export async function verifyAuditChains(databaseUrl: string): Promise<AuditVerdict> {
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });

  @Module({ imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot(), AuditModule] })
  class AuditVerifyModule {}

  const app = await NestFactory.createApplicationContext(AuditVerifyModule, { logger: false });
  try {
    const report = await app.get(AuditQueryService).verify();
    return { ok: report.broken === null, chains: report.chains, events: report.events, broken: report.broken };
  } finally {
    await app.close();
  }
}
