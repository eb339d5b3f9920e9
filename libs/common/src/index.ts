export * from './canonical-json';
export * from './hash';
export * from './domain.exception';
export * from './actor';
export * from './storable-json';
export * from './validators';
export * from './api-errors.decorator';
export * from './secret-masker';
