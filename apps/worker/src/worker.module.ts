import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { DatabaseModule } from '@lib/database';
import { SweeperModule } from '@lib/sweeper';
import { WorkerLoopModule } from '@lib/runner';
import { SECRET_MASKER } from '@lib/common';

@Module({
  imports: [
    // The sink redacts every secret value the worker resolved.
    LoggerModule.forRoot({
      pinoHttp: {
        level: process.env.LOG_LEVEL ?? 'info',
        autoLogging: false,
        hooks: { streamWrite: (line: string) => SECRET_MASKER.mask(line) },
      },
    }),
    DatabaseModule.forRoot(),
    SweeperModule,
    WorkerLoopModule,
  ],
})
export class WorkerModule {}
