import './register-paths';

export default async function globalTeardown(): Promise<void> {
  const { tearDownTestDatabase } = await import('./test-database');
  await tearDownTestDatabase();
}
