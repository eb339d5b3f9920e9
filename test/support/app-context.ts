import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../apps/api/src/app.module';

/** The application's providers on the test database, without HTTP: for integration specs of services. */
export async function openAppContext(): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(AppModule.register(), { logger: false });
}
