import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@agents/core';
import { ChatProviderFactory } from './chat-provider.factory';
import { ProviderError } from './chat-provider';
import { GoogleChatProvider } from './google.provider';
import { OpenAIChatProvider } from './openai.provider';
import { ProviderRegistry } from './provider-registry';

let dir: string;
let factory: ChatProviderFactory;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agents-provider-factory-'));
  const configPath = join(dir, 'agents.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({ customEndpoints: [{ name: 'Ollama', baseURL: 'http://127.0.0.1:11434/v1', models: [] }] }),
  );
  const config = loadConfig({
    DATA_DIR: dir,
    JWT_SECRET: 'x'.repeat(32),
    CONFIG_PATH: configPath,
    OPENAI_API_KEY: 'sk-test',
    GOOGLE_API_KEY: 'g-test',
  });
  factory = new ChatProviderFactory(config, new ProviderRegistry(config));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function providerError(name: string): ProviderError {
  try {
    factory.forAgent(name);
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error(`forAgent(${name}) did not throw`);
}

describe('ChatProviderFactory', () => {
  it('builds the openai provider once and resolves names case-insensitively', () => {
    const provider = factory.forAgent('openai');
    expect(provider).toBeInstanceOf(OpenAIChatProvider);
    expect(provider.name).toBe('openai');
    expect(factory.forAgent('OpenAI')).toBe(provider);
  });

  it('builds custom endpoints under their configured name, even without OPENAI_API_KEY', () => {
    const provider = factory.forAgent('ollama');
    expect(provider).toBeInstanceOf(OpenAIChatProvider);
    expect(provider.name).toBe('Ollama');
  });

  it('builds the google provider when its key is set', () => {
    expect(factory.forAgent('google')).toBeInstanceOf(GoogleChatProvider);
  });

  it('names the missing setting of a built-in provider that is not configured', () => {
    expect(providerError('anthropic')).toMatchObject({ kind: 'unsupported', retryable: false });
    expect(providerError('anthropic').message).toBe(
      'The anthropic provider is not configured on this server: set ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL',
    );
  });

  it('rejects an unknown provider', () => {
    expect(providerError('mistral')).toMatchObject({ kind: 'unsupported', message: 'Unknown provider "mistral"' });
  });
});
