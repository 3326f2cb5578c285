import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DatabaseService, loadConfig } from '@agents/core';
import { AppModule } from '../../apps/api/src/app.module';
import { configureApp } from '../../apps/api/src/configure-app';
import { createTestDatabase } from './test-database';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TestApp {
  app: NestExpressApplication;
  http: TestAgent;
  /** `http://127.0.0.1:<port>`, for clients that need a URL (SSE readers, the openai SDK). */
  baseUrl: string;
  databaseUrl: string;
  close: () => Promise<void>;
}

/**
 * Boots the real api app (every module, pipe, filter and guard) on its own database, cloned from
 * the migrated template. `env` overrides variables as an operator would; generated titles are off
 * unless it turns them on (see cleanEnv).
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: db.url,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    AUTH_RATE_LIMIT: '100000',
    TITLE_GENERATION: 'false',
    ...env,
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger: false });
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  await app.get(DatabaseService).whenReady();
  return {
    app,
    http: request(app.getHttpServer()),
    baseUrl: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`,
    databaseUrl: db.url,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}

/**
 * A config file naming a SearXNG backend at an address nothing listens on, for suites that enable
 * `web_search` on agents without running it. Returns its path, for CONFIG_PATH.
 */
export function writeSearchConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agents-config-'));
  const path = join(dir, 'agents.config.json');
  writeFileSync(path, JSON.stringify({ webSearch: { provider: 'searxng', url: 'http://127.0.0.1:9' } }));
  return path;
}
