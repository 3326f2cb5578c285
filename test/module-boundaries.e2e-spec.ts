import { ModulesContainer } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { AppModule } from '../apps/api/src/app.module';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { loadConfig } from '@agents/core';
import { GenerationProcessor } from '@agents/generation';
import { ChatProviderFactory } from '@agents/providers';
import { TEST_REDIS_URL } from './support/redis';
import { TEST_JWT_SECRET } from './support/test-app';
import { ADMIN_URL } from './support/test-database';

/**
 * The api/worker split is a module boundary: what each process's container holds. The containers
 * are compiled, not started (nothing connects to the database), so only their wiring is checked.
 */
describe('process module boundaries', () => {
  const config = (env: Record<string, string>) =>
    loadConfig({ DATABASE_URL: ADMIN_URL, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', ...env });
  const opened: TestingModule[] = [];
  const compile = async (module: Parameters<typeof Test.createTestingModule>[0]['imports']) => {
    const compiled = await Test.createTestingModule({ imports: module }).compile();
    opened.push(compiled);
    return compiled;
  };
  afterAll(async () => {
    for (const module of opened) await module.close();
  });

  const has = (module: TestingModule, token: Parameters<TestingModule['get']>[0]): boolean => {
    try {
      module.get(token, { strict: false });
      return true;
    } catch {
      return false;
    }
  };
  const controllersOf = (module: TestingModule): string[] =>
    [...module.get(ModulesContainer).values()].flatMap((m) => [...m.controllers.keys()].map(String));

  it('a distributed api builds no provider client and runs no generation', async () => {
    const api = await compile([AppModule.forRoot(config({ REDIS_URL: TEST_REDIS_URL }))]);
    expect(has(api, ChatProviderFactory)).toBe(false);
    expect(has(api, GenerationProcessor)).toBe(false);
    expect(controllersOf(api).length).toBeGreaterThan(0);
  });

  it('the embedded api runs the generations itself', async () => {
    const api = await compile([AppModule.forRoot(config({}))]);
    expect(has(api, ChatProviderFactory)).toBe(true);
    expect(has(api, GenerationProcessor)).toBe(true);
  });

  it('the worker has no HTTP controller, and consumes jobs', async () => {
    const worker = await compile([WorkerModule.forRoot(config({ REDIS_URL: TEST_REDIS_URL }))]);
    expect(controllersOf(worker)).toEqual([]);
    expect(has(worker, GenerationProcessor)).toBe(true);
    expect(has(worker, ChatProviderFactory)).toBe(true);
  });
});
