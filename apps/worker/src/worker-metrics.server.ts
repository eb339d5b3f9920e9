import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@lib/config';
import { MetricsHttpServer, MetricsService } from '@lib/telemetry';

/**
 * A worker's Prometheus endpoint (GET /metrics on WORKER_METRICS_PORT; unset: none): this
 * process's registry (claims, leases, reaps, expiries, its pool, the process), and GET
 * /health/live for a container's healthcheck. It needs no credential, so it belongs on a
 * private network. Nothing it meets stops the worker.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private readonly server: MetricsHttpServer;

  constructor(
    private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.server = new MetricsHttpServer(metrics, { onError: (error) => this.logger.error({ err: error }, 'metrics endpoint error') });
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.worker.metricsPort;
    if (port === null) return;
    const listening = await this.server.listen({ port, host: this.config.values.host });
    if (listening === null) this.logger.error({ port }, 'the metrics endpoint could not listen; the worker runs without it');
    else this.logger.log({ metrics_port: listening }, `metrics listening on port ${listening}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.close();
  }
}
