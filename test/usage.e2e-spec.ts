import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDeployment, type Deployment } from './support/deployment';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';
import { USAGE_ENV, usageCases, writeUsageConfig } from './support/usage-cases';

/** Usage, cost and budgets, in both run modes, through the built processes. */
describe('usage and budgets, embedded: one process', () => {
  let dir: string;
  let fake: FakeOpenAI;
  let api: RunningApi;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agents-usage-'));
    fake = await startFakeOpenAI();
    api = spawnApi({
      DATA_DIR: join(dir, 'data'),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT: '100000',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test',
      CONFIG_PATH: writeUsageConfig(dir),
      ...USAGE_ENV,
    });
    await waitFor(`${api.baseUrl}/api/health/ready`).catch((err: Error) => {
      throw new Error(`${err.message}\n--- api output ---\n${api.output()}`);
    });
  }, 90_000);
  afterAll(async () => {
    await api?.stop('SIGTERM');
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  usageCases(() => ({ api: api.baseUrl, fake }));
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
