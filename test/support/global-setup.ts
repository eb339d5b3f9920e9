import './register-paths';

export default async function globalSetup(): Promise<void> {
  const { setUpTestDatabase } = await import('./test-database');
  await setUpTestDatabase();
}
