export * from './metrics.service';
export * from './metrics-http-server';
export * from './telemetry.module';
