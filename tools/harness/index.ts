/**
 * One process harness for the e2e suite (test/support), the benchmark (tools/bench) and the
 * fault campaign (tools/chaos): a PostgreSQL that can be stopped and started, fresh migrated
 * databases, the API and the worker as child processes from dist/, remote workers, a small HTTP
 * client and a cleanup stack. Nothing of the product imports it.
 */
export * from './repo-root';
export * from './managed-process';
export * from './worker-process';
export * from './remote-worker-process';
export * from './mcp-gateway-process';
export * from './api-process';
export * from './postgres-process';
export * from './fresh-database';
export * from './cleanup-stack';
export * from './http-client';
