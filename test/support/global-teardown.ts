import { tearDownTestDatabase } from './test-database';

export default async function globalTeardown(): Promise<void> {
  await tearDownTestDatabase();
}
