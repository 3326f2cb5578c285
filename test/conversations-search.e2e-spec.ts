import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDeployment, type Deployment } from './support/deployment';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';
import { searchShareCases } from './support/search-share-cases';

/**
 * Search and share links in both run modes, through the built processes: the embedded one runs the
 * migration and the full-text search on PGlite (btree_gin loaded), the distributed one on PostgreSQL.
 */
describe('search and share links, embedded: one process on PGlite', () => {
  let dir: string;
  let fake: FakeOpenAI;
  let api: RunningApi;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agents-search-'));
    fake = await startFakeOpenAI();
    api = spawnApi({
      DATA_DIR: join(dir, 'data'),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT: '100000',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test',
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

  searchShareCases(() => ({ api: api.baseUrl, fake }));
});

describe('search and share links, distributed: api + worker on PostgreSQL and Redis', () => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await startDeployment({ redis: 'conversationsSearch' });
  }, 90_000);
  afterAll(async () => {
    await deployment?.stop();
  });

  searchShareCases(() => ({ api: deployment.apis[0].baseUrl, fake: deployment.fake }));
});
