export * from './sweeper.service';
export * from './sweeper.module';
