import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppConfig, loadConfig } from '@agents/core';
import {
  type ModelDiscoveryOptions,
  ProviderModelCatalog,
  type ProviderListing,
  ProviderRegistry,
} from '@agents/providers';
import { type FakeAnthropic, startFakeAnthropic } from '@agents/testing/fake-anthropic';
import { type FakeGoogle, startFakeGoogle } from '@agents/testing/fake-google';
import { type FakeOpenAI, startFakeOpenAI } from '@agents/testing/fake-openai';

const OPENAI_KEY = 'sk-openai-models-key';
const CUSTOM_KEY = 'sk-custom-models-key';

let openai: FakeOpenAI;
let custom: FakeOpenAI;
let anthropic: FakeAnthropic;
let google: FakeGoogle;
/** Accepts connections and never answers. */
let silent: Server;
let goneURL: string;
let dir: string;
let config: AppConfig;

beforeAll(async () => {
  [openai, custom, anthropic, google] = await Promise.all([
    startFakeOpenAI(),
    startFakeOpenAI(),
    startFakeAnthropic(),
    startFakeGoogle(),
  ]);
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const gone = await startFakeOpenAI();
  goneURL = gone.baseURL;
  await gone.close();

  dir = mkdtempSync(join(tmpdir(), 'agents-models-'));
  const configPath = join(dir, 'agents.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      customEndpoints: [
        { name: 'listed', baseURL: custom.baseURL, models: ['llama3', 'mistral'] },
        { name: 'discovered', baseURL: custom.baseURL, apiKey: CUSTOM_KEY, models: [] },
        { name: 'gone', baseURL: goneURL, models: [] },
        {
          name: 'silent',
          baseURL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`,
          models: [],
        },
      ],
    }),
  );
  config = loadConfig({
    DATA_DIR: dir,
    JWT_SECRET: 'a-test-secret-that-is-at-least-32-chars',
    OPENAI_BASE_URL: openai.baseURL,
    OPENAI_API_KEY: OPENAI_KEY,
    ANTHROPIC_BASE_URL: anthropic.baseURL,
    ANTHROPIC_API_KEY: 'sk-ant-models-key',
    GOOGLE_BASE_URL: google.baseURL,
    GOOGLE_API_KEY: 'AIza-models-key',
    CONFIG_PATH: configPath,
  });
});

afterAll(async () => {
  silent?.closeAllConnections();
  await Promise.all([
    openai?.close(),
    custom?.close(),
    anthropic?.close(),
    google?.close(),
    new Promise((resolve) => silent?.close(resolve)),
  ]);
  rmSync(dir, { recursive: true, force: true });
});

/** A catalog with an empty cache; each test gets its own. */
const catalog = (options: Partial<ModelDiscoveryOptions> = {}, over: AppConfig = config): ProviderModelCatalog =>
  new ProviderModelCatalog(over, new ProviderRegistry(over), { timeoutMs: 500, ...options });

const byName = (listing: ProviderListing[]): Map<string, ProviderListing> => new Map(listing.map((p) => [p.name, p]));

/** How many model listings `server` has answered. */
const listings = (server: { requests: Array<{ method: string; path: string }> }, path = '/v1/models'): number =>
  server.requests.filter((r) => r.method === 'GET' && r.path === path).length;

describe('ProviderModelCatalog against the stand-ins', () => {
  it("lists each provider's models and says where they came from", async () => {
    openai.setModels(['gpt-fake-1', 'gpt-fake-2']);
    custom.setModels(['qwen', 'llama3']);
    anthropic.setModels(['claude-fake-opus', 'claude-fake-haiku']);

    const providers = byName(await catalog().list());

    expect(providers.get('openai')).toMatchObject({
      models: ['gpt-fake-1', 'gpt-fake-2'],
      modelsSource: 'endpoint',
      configured: true,
    });
    expect(providers.get('anthropic')).toMatchObject({
      models: ['claude-fake-opus', 'claude-fake-haiku'],
      modelsSource: 'endpoint',
    });
    // Only the models that generate content, without Gemini's `models/` prefix.
    expect(providers.get('google')).toMatchObject({
      models: ['gemini-fake-pro', 'gemini-fake-flash'],
      modelsSource: 'endpoint',
    });
    expect(providers.get('listed')).toEqual({
      name: 'listed',
      kind: 'custom',
      configured: true,
      models: ['llama3', 'mistral'],
      modelsSource: 'config',
    });
    expect(providers.get('discovered')).toMatchObject({ models: ['qwen', 'llama3'], modelsSource: 'endpoint' });
    for (const name of ['openai', 'anthropic', 'google', 'listed', 'discovered']) {
      expect(providers.get(name)).not.toHaveProperty('modelsError');
    }
    // Each through its SDK, with its own key.
    const customListing = custom.requests.filter((r) => r.method === 'GET' && r.path === '/v1/models').at(-1);
    expect(customListing?.headers.authorization).toBe(`Bearer ${CUSTOM_KEY}`);
    expect(openai.requests.filter((r) => r.path === '/v1/models').at(-1)?.headers.authorization).toBe(
      `Bearer ${OPENAI_KEY}`,
    );
    expect(google.requests.filter((r) => r.path === '/v1beta/models').at(-1)?.headers['x-goog-api-key']).toBe(
      'AIza-models-key',
    );
  });

  it('lists an unreachable or silent endpoint with no models and a note, without failing or waiting past the timeout', async () => {
    const startedAt = Date.now();

    const providers = byName(await catalog({ timeoutMs: 300 }).list());

    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(providers.get('gone')).toMatchObject({
      models: [],
      modelsSource: 'endpoint',
      modelsError: 'the endpoint could not be reached to list its models',
    });
    expect(providers.get('silent')).toMatchObject({
      models: [],
      modelsSource: 'endpoint',
      modelsError: 'the endpoint did not list its models within 300 ms',
    });
    expect(providers.get('openai')?.modelsError).toBeUndefined();
  });

  it('lists nothing, from nowhere, for a built-in this deployment cannot call', async () => {
    const bare = loadConfig({ DATA_DIR: dir, JWT_SECRET: 'a-test-secret-that-is-at-least-32-chars' });

    const listing = await catalog({}, bare).list();

    expect(listing.map((p) => [p.name, p.models, p.modelsSource, p.configured])).toEqual([
      ['openai', [], 'none', false],
      ['anthropic', [], 'none', false],
      ['google', [], 'none', false],
    ]);
  });

  it('shares one fetch between concurrent requests and reuses it until it expires', async () => {
    let now = 1_000_000;
    const models = catalog({ now: () => now, successTtlMs: 60_000 });
    const before = {
      openai: listings(openai),
      anthropic: listings(anthropic),
      google: listings(google, '/v1beta/models'),
    };

    await Promise.all([models.list(), models.list(), models.list()]);
    await models.list();

    expect(listings(openai) - before.openai).toBe(1);
    expect(listings(anthropic) - before.anthropic).toBe(1);
    expect(listings(google, '/v1beta/models') - before.google).toBe(1);

    openai.setModels(['gpt-fake-3']);
    now += 60_001;
    const fresh = byName(await models.list());

    expect(listings(openai) - before.openai).toBe(2);
    expect(fresh.get('openai')?.models).toEqual(['gpt-fake-3']);
  });

  it('keeps a failure for a shorter while, then asks the endpoint again', async () => {
    let now = 1_000_000;
    const models = catalog({ now: () => now, failureTtlMs: 30_000, successTtlMs: 300_000 });
    openai.setModels({ fail: { status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}` } });
    const before = listings(openai);

    const failed = byName(await models.list()).get('openai');
    now += 29_000;
    await models.list();

    expect(failed).toMatchObject({ models: [], modelsSource: 'endpoint' });
    expect(failed?.modelsError).toBe('the endpoint answered HTTP 401 to the model listing');
    expect(failed?.modelsError).not.toContain(OPENAI_KEY); // never the endpoint's own words
    expect(listings(openai) - before).toBe(1);

    openai.setModels(['gpt-fake-4']);
    now += 1_001;
    const recovered = byName(await models.list()).get('openai');

    expect(listings(openai) - before).toBe(2);
    expect(recovered).toEqual(expect.objectContaining({ models: ['gpt-fake-4'], modelsSource: 'endpoint' }));
    expect(recovered).not.toHaveProperty('modelsError');
  });
});
