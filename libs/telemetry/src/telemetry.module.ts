import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/**
 * Infrastructure, so global: one MetricsService (one registry) per application. DatabaseModule
 * imports it (its pool is measured), so every application and every module built on the
 * infrastructure has it.
 */
@Global()
@Module({
  providers: [MetricsService],
  exports: [MetricsService],
})
export class TelemetryModule {}
