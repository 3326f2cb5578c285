import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, createUser } from './support/factories';
import { startDeployment, type Deployment } from './support/deployment';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';
import { providerChatCases, startProviderStandIns, type ProviderStandIns } from './support/provider-chat-cases';
import { readSse } from './support/sse';
import { startTestApp } from './support/test-app';

/**
 * Anthropic and Google agents chat exactly as OpenAI ones, in both run modes: the built apps, and
 * stand-ins speaking each vendor's streaming protocol behind them, driven over the chat stream and
 * through the official OpenAI SDK.
 */
describe('Anthropic and Google agents, embedded: one process', () => {
  let stands: ProviderStandIns;
  let dataDir: string;
  let api: RunningApi;

  beforeAll(async () => {
    stands = await startProviderStandIns();
    dataDir = mkdtempSync(join(tmpdir(), 'agents-providers-'));
    api = spawnApi({
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT: '100000',
      ...stands.env,
    });
    await waitFor(`${api.baseUrl}/api/health/ready`).catch((err: Error) => {
      throw new Error(`${err.message}\n--- api output ---\n${api.output()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await api?.stop('SIGTERM');
    await stands?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  providerChatCases(() => ({ anthropic: stands.anthropic, google: stands.google, api: api.baseUrl }));
});

describe('Anthropic and Google agents, distributed: api + worker on PostgreSQL and Redis', () => {
  let stands: ProviderStandIns;
  let deployment: Deployment;

  beforeAll(async () => {
    stands = await startProviderStandIns();
    deployment = await startDeployment({ redis: 'chatProviders', env: stands.env });
  }, 90_000);

  afterAll(async () => {
    await deployment?.stop();
    await stands?.close();
  });

  providerChatCases(() => ({ anthropic: stands.anthropic, google: stands.google, api: deployment.apis[0].baseUrl }));
});

describe('Anthropic and Google agents, a server without them', () => {
  it('fails a chat with an Anthropic agent, naming the provider', async () => {
    const bare = await startTestApp();
    try {
      const user = await createUser(bare.http);
      const agent = await createAgent(bare.http, user, { provider: 'anthropic', model: 'claude-haiku-4-5' });
      const started = (
        await bare.http.post('/api/agents/chat').set(user.auth).send({ agent_id: agent.id, text: 'Hi' }).expect(200)
      ).body as { streamId: string };
      const sse = await readSse(`${bare.baseUrl}/api/agents/chat/stream/${started.streamId}`, user.auth);
      const end = sse.frames[sse.frames.length - 1];
      expect(end.event).toBe('error');
      expect(JSON.stringify(end.data)).toMatch(/anthropic/i);
    } finally {
      await bare.close();
    }
  });
});
