import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { connect, createServer, type Server, type Socket } from 'node:net';
import request from 'supertest';
import { loadConfig } from '@agents/core';
import { AppModule } from '../apps/api/src/app.module';
import { configureApp } from '../apps/api/src/configure-app';
import { freePort } from './support/process';
import { createTestDatabase } from './support/test-database';
import { TEST_REDIS_URL } from './support/redis';
import { TEST_JWT_SECRET, startTestApp } from './support/test-app';

/** A TCP relay to the real PostgreSQL that can be switched on and off, to play a database outage. */
class DatabaseRelay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}

  start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(5432, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('health and a database that is down', () => {
  it('boots without the database, answers 503 with a clear message, and recovers when it comes up', async () => {
    const db = await createTestDatabase();
    const relay = new DatabaseRelay(await freePort());
    const url = new URL(db.url);
    url.host = `127.0.0.1:${relay.port}`;
    const config = loadConfig({ DATABASE_URL: url.toString(), JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent' });
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger: false });
    configureApp(app, config);
    await app.listen(0, '127.0.0.1');
    const http = request(app.getHttpServer());
    try {
      await http.get('/api/health').expect(200, { status: 'ok' });
      const ready = await http.get('/api/health/ready').expect(503);
      expect(ready.body).toEqual({ error: 'Service Unavailable', message: expect.stringMatching(/database/i) });

      const login = await http.post('/api/auth/login').send({ email: 'a@example.com', password: 'whatever1' });
      expect(login.status).toBe(503);
      expect(login.body.message).toMatch(/database is unavailable/i);
      expect(JSON.stringify(login.body)).not.toMatch(/ECONNREFUSED|\bat \w/);

      await relay.start();
      const deadline = Date.now() + 15_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = (await http.get('/api/health/ready')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      expect(status).toBe(200);
      // Migrations ran on connect, so the schema is there and registration works.
      await http
        .post('/api/auth/register')
        .send({ email: 'back@example.com', password: 'correct horse', name: 'Back' })
        .expect(201);

      await relay.stop();
      const down = await http.post('/api/auth/login').send({ email: 'back@example.com', password: 'correct horse' });
      expect(down.status).toBe(503);
    } finally {
      await app.close();
      await relay.stop();
      await db.drop();
    }
  });

  it('reports Redis in readiness when REDIS_URL is set', async () => {
    const up = await startTestApp({ REDIS_URL: TEST_REDIS_URL });
    try {
      const res = await up.http.get('/api/health/ready').expect(200);
      expect(res.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
    } finally {
      await up.close();
    }
  });
});
