import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  CONVERSATION_MANAGE_ENV,
  conversationManageCases,
  type ConversationManageTarget,
} from './support/conversation-manage-cases';
import { startDeployment, type Deployment } from './support/deployment';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';

/** Conversations their users manage, in both run modes, through the built processes. */
describe('conversation management, embedded: one process', () => {
  let dir: string;
  let fake: FakeOpenAI;
  let api: RunningApi;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agents-convos-'));
    fake = await startFakeOpenAI();
    api = spawnApi({
      DATA_DIR: join(dir, 'data'),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT: '100000',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test',
      ...CONVERSATION_MANAGE_ENV,
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

  // PGlite belongs to the running process: the cases read it through the API only.
  conversationManageCases((): ConversationManageTarget => ({ api: api.baseUrl, fake }));
});

describe('conversation management, distributed: api + worker on PostgreSQL and Redis', () => {
  let deployment: Deployment;
  let db: Client;

  beforeAll(async () => {
    deployment = await startDeployment({ redis: 'conversationsManage', env: CONVERSATION_MANAGE_ENV });
    db = new Client({ connectionString: deployment.env.DATABASE_URL });
    await db.connect();
  }, 90_000);
  afterAll(async () => {
    await db?.end();
    await deployment?.stop();
  });

  conversationManageCases((): ConversationManageTarget => ({
    api: deployment.apis[0].baseUrl,
    fake: deployment.fake,
    sql: async (text, params) => (await db.query(text, params)).rows as Record<string, unknown>[],
  }));
});
