import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MetricsService } from '@lib/telemetry';

/** What node-postgres's Pool says of itself. */
interface PgPoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  readonly options: { readonly max?: number };
}

/** This process's connection pool (TypeORM's driver holds node-postgres's Pool as `master`), read at every scrape. */
@Injectable()
export class PoolMetrics implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape(() => {
      const pool = (this.dataSource.driver as unknown as { master?: PgPoolCounts }).master;
      if (!pool) return;
      this.metrics.dbPoolConnections.set({ state: 'total' }, pool.totalCount);
      this.metrics.dbPoolConnections.set({ state: 'idle' }, pool.idleCount);
      this.metrics.dbPoolConnections.set({ state: 'waiting' }, pool.waitingCount);
      // node-postgres's default when unset is 10.
      this.metrics.dbPoolMax.set(pool.options.max ?? 10);
    });
  }
}
