import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { DatabaseModule } from '@lib/database';
import { SweeperModule } from '@lib/sweeper';

@Module({
  imports: [LoggerModule.forRoot({ pinoHttp: { level: process.env.LOG_LEVEL ?? 'info', autoLogging: false } }), DatabaseModule.forRoot(), SweeperModule],
})
export class WorkerModule {}
