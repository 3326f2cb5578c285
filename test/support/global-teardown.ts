import { dropRunDatabases } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const run = process.env.AGENTS_TEST_RUN;
  if (run) await dropRunDatabases(run);
}
