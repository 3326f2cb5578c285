import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDeployment, type Deployment } from './support/deployment';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';
import { REGENERATE_ENV, regenerateCases, titlesOffCases, type RegenerateTarget } from './support/regenerate-cases';

/** The embedded mode's one process, with `env`. */
async function startEmbedded(dir: string, fake: FakeOpenAI, env: Record<string, string>): Promise<RunningApi> {
  const api = spawnApi({
    DATA_DIR: join(dir, 'data'),
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT: '100000',
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'sk-test',
    ...env,
  });
  await waitFor(`${api.baseUrl}/api/health/ready`).catch((err: Error) => {
    throw new Error(`${err.message}\n--- api output ---\n${api.output()}`);
  });
  return api;
}

/** Regenerating, editing and titles, in both run modes, through the built processes. */
describe('regenerate, edit and titles, embedded: one process', () => {
  let dir: string;
  let fake: FakeOpenAI;
  let api: RunningApi;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agents-regenerate-'));
    fake = await startFakeOpenAI();
    api = await startEmbedded(dir, fake, REGENERATE_ENV);
  }, 90_000);
  afterAll(async () => {
    await api?.stop('SIGTERM');
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  regenerateCases((): RegenerateTarget => ({ api: api.baseUrl, fake }));
});

describe('regenerate, edit and titles, distributed: api + worker on PostgreSQL and Redis', () => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await startDeployment({ redis: 'conversationsRegenerate', env: REGENERATE_ENV });
  }, 90_000);
  afterAll(() => deployment?.stop());

  regenerateCases((): RegenerateTarget => ({ api: deployment.apis[0].baseUrl, fake: deployment.fake }));
});

describe('titles off, embedded', () => {
  let dir: string;
  let fake: FakeOpenAI;
  let api: RunningApi;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agents-regenerate-'));
    fake = await startFakeOpenAI();
    api = await startEmbedded(dir, fake, { TITLE_GENERATION: 'false' });
  }, 90_000);
  afterAll(async () => {
    await api?.stop('SIGTERM');
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  titlesOffCases((): RegenerateTarget => ({ api: api.baseUrl, fake }));
});

describe('titles off, distributed', () => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await startDeployment({ redis: 'conversationsRegenerate', env: { TITLE_GENERATION: 'false' } });
  }, 90_000);
  afterAll(() => deployment?.stop());

  titlesOffCases((): RegenerateTarget => ({ api: deployment.apis[0].baseUrl, fake: deployment.fake }));
});
