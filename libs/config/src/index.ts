export * from './environment';
export * from './app-config';
export * from './load-config';
export * from './config.module';
export * from './config-table';
export * from './url-prefix';
