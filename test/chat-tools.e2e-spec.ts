import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDeployment, type Deployment } from './support/deployment';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { startFakeSearch, type FakeSearch } from './support/fake-search';
import { startMcpHttpServer, type RunningMcpServer } from './support/mcp-server';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';
import { TOOL_ENV, toolChatCases, writeToolsConfig } from './support/tool-chat-cases';

/**
 * The tool loop end to end, in both run modes, with real tools: the calculator, web search against
 * a SearXNG stand-in, and the MCP test server (built with the MCP SDK) over stdio and over
 * streamable HTTP, plus one that goes down and one that never answers.
 */
interface Stands {
  dir: string;
  search: FakeSearch;
  remote: RunningMcpServer;
  flaky: RunningMcpServer;
  config: string;
}

async function startStands(): Promise<Stands> {
  const dir = mkdtempSync(join(tmpdir(), 'agents-tools-'));
  const [search, remote, flaky] = await Promise.all([
    startFakeSearch(),
    startMcpHttpServer({ mode: 'http' }),
    startMcpHttpServer({ mode: 'http' }),
  ]);
  const config = writeToolsConfig(dir, { search: search.url, remote: remote.url, flaky: flaky.url });
  return { dir, search, remote, flaky, config };
}

async function stopStands(stands: Stands | undefined): Promise<void> {
  if (!stands) return;
  await Promise.all([stands.search.close(), stands.remote.close(), stands.flaky.close()]);
  rmSync(stands.dir, { recursive: true, force: true });
}

describe('tools, embedded: one process', () => {
  let stands: Stands;
  let fake: FakeOpenAI;
  let api: RunningApi;

  beforeAll(async () => {
    stands = await startStands();
    fake = await startFakeOpenAI();
    api = spawnApi({
      DATA_DIR: join(stands.dir, 'data'),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT: '100000',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test',
      CONFIG_PATH: stands.config,
      ...TOOL_ENV,
    });
    await waitFor(`${api.baseUrl}/api/health/ready`).catch((err: Error) => {
      throw new Error(`${err.message}\n--- api output ---\n${api.output()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await api?.stop('SIGTERM');
    await fake?.close();
    await stopStands(stands);
  });

  toolChatCases(() => ({ fake, search: stands.search, api: api.baseUrl, stopFlakyMcp: () => stands.flaky.close() }));
});

describe('tools, distributed: api + worker on PostgreSQL and Redis', () => {
  let stands: Stands;
  let deployment: Deployment;

  beforeAll(async () => {
    stands = await startStands();
    deployment = await startDeployment({ redis: 'chatTools', env: { CONFIG_PATH: stands.config, ...TOOL_ENV } });
  }, 90_000);

  afterAll(async () => {
    await deployment?.stop();
    await stopStands(stands);
  });

  toolChatCases(() => ({
    fake: deployment.fake,
    search: stands.search,
    api: deployment.apis[0].baseUrl,
    stopFlakyMcp: () => stands.flaky.close(),
  }));
});
