import { randomBytes } from 'node:crypto';
import { createTemplate } from './test-database';

export default async function globalSetup(): Promise<void> {
  const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  process.env.AGENTS_TEST_RUN = run;
  await createTemplate(run);
}
