import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coreChatCases } from './support/chat-cases';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';

/**
 * The core chat cases in the zero-configuration mode, as `npm start` runs it: one built api process
 * with PGlite, the in-process queue and the in-process event bus (no DATABASE_URL, no REDIS_URL).
 */
describe('chat, embedded: one process with PGlite and the in-process queue and bus', () => {
  let fake: FakeOpenAI;
  let dataDir: string;
  let api: RunningApi;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    dataDir = mkdtempSync(join(tmpdir(), 'agents-chat-embedded-'));
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

  coreChatCases(() => ({ fake, apiA: api.baseUrl, apiB: api.baseUrl }));
});
