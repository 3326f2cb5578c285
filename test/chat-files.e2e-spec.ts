import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDeployment, type Deployment } from './support/deployment';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { fileChatCases } from './support/file-chat-cases';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';

/**
 * Files end to end in both run modes: uploads processed by the worker side, file_search over real
 * PDFs and DOCX files, the code interpreter in its sandbox, images through the images API.
 */
describe('files, embedded: one process', () => {
  let fake: FakeOpenAI;
  let dataDir: string;
  let api: RunningApi;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    dataDir = mkdtempSync(join(tmpdir(), 'agents-files-'));
    // The code interpreter's sandbox runs as an unprivileged user when the service is root (as in
    // CI): it must be able to pass through DATA_DIR to its folder (mkdtemp makes it 0700).
    chmodSync(dataDir, 0o711);
    api = spawnApi({
      DATA_DIR: dataDir,
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
    rmSync(dataDir, { recursive: true, force: true });
  });

  fileChatCases(() => ({ fake, api: api.baseUrl }));
});

describe('files, distributed: api + worker on PostgreSQL and Redis', () => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await startDeployment({ redis: 'chatFiles' });
  }, 90_000);
  afterAll(() => deployment?.stop());

  fileChatCases(() => ({ fake: deployment.fake, api: deployment.apis[0].baseUrl }));
});
