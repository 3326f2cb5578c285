import { Client } from 'pg';
import {
  CONVERSATION_MANAGE_ENV,
  conversationManageCases,
  type ConversationManageTarget,
} from './support/conversation-manage-cases';
import { startDeployment, startEmbedded, type Deployment, type EmbeddedDeployment } from './support/deployment';

/** Conversations their users manage, in both run modes, through the built processes. */
describe('conversation management, embedded: one process', () => {
  let embedded: EmbeddedDeployment;

  beforeAll(async () => {
    embedded = await startEmbedded(CONVERSATION_MANAGE_ENV);
  }, 90_000);
  afterAll(() => embedded?.stop());

  // PGlite belongs to the running process: the cases read it through the API only.
  conversationManageCases((): ConversationManageTarget => ({ api: embedded.api.baseUrl, fake: embedded.fake }));
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
