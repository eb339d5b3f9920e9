export * from './status-axis';
export * from './state-machine.exception';
export * from './status-machine.service';
export * from './state-machine.module';
