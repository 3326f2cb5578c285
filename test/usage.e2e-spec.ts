import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDeployment, startEmbedded, type Deployment, type EmbeddedDeployment } from './support/deployment';
import { USAGE_ENV, usageCases, writeUsageConfig } from './support/usage-cases';

/** Usage, cost and budgets, in both run modes, through the built processes. */
describe('usage and budgets, embedded: one process', () => {
  let dir: string;
  let embedded: EmbeddedDeployment;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agents-usage-'));
    embedded = await startEmbedded({ CONFIG_PATH: writeUsageConfig(dir), ...USAGE_ENV });
  }, 90_000);
  afterAll(async () => {
    await embedded?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  usageCases(() => ({ api: embedded.api.baseUrl, fake: embedded.fake }));
});

describe('usage and budgets, distributed: api + worker on PostgreSQL and Redis', () => {
  let dir: string;
  let deployment: Deployment;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agents-usage-'));
    deployment = await startDeployment({ redis: 'usage', env: { CONFIG_PATH: writeUsageConfig(dir), ...USAGE_ENV } });
  }, 90_000);
  afterAll(async () => {
    await deployment?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  usageCases(() => ({ api: deployment.apis[0].baseUrl, fake: deployment.fake }));
});
