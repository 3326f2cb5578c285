import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { freePort } from './support/process';
import { TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import { startTestApp, type TestApp } from './support/test-app';

const LIMIT = 5;

/** A failed login (unknown account): counted like any other attempt, answered 401 while under the limit. */
function login(http: TestAgent, forwardedFor?: string): Promise<Response> {
  const req = http.post('/api/auth/login').send({ email: 'nobody@example.com', password: 'not the password' });
  return forwardedFor === undefined ? req : req.set('X-Forwarded-For', forwardedFor);
}

async function statuses(calls: (() => Promise<Response>)[]): Promise<number[]> {
  const out: number[] = [];
  for (const call of calls) out.push((await call()).status);
  return out;
}

const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

function expectRateLimited(res: Response): void {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ error: 'Too Many Requests', message: expect.stringMatching(/retry in \d+ s/) });
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
  // The library names its headers after the throttler unless it is the default one.
  expect(Object.keys(res.headers).filter((h) => h.startsWith('retry-after-'))).toEqual([]);
}

describe('auth rate limit (e2e)', () => {
  describe('by default, with no proxy trusted', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ AUTH_RATE_LIMIT: String(LIMIT) });
    });
    afterAll(() => t.close());

    it('counts one client once whatever X-Forwarded-For claims, and answers 429 with Retry-After', async () => {
      const responses: Response[] = [];
      for (let i = 0; i < 2 * LIMIT; i++) responses.push(await login(t.http, `203.0.113.${i + 1}`));
      expect(responses.map((r) => r.status)).toEqual([...times(LIMIT, () => 401), ...times(LIMIT, () => 429)]);
      for (const res of responses.slice(LIMIT)) expectRateLimited(res);
    });

    it('limits registration attempts in the same way (the guard runs before the body is even validated)', async () => {
      const register = (i: number) => () =>
        t.http
          .post('/api/auth/register')
          .set('X-Forwarded-For', `198.51.100.${i + 1}`)
          .send({});
      const responses: Response[] = [];
      for (const call of times(LIMIT + 1, register)) responses.push(await call());
      expect(responses.map((r) => r.status)).toEqual([...times(LIMIT, () => 400), 429]);
      expectRateLimited(responses[LIMIT]);
    });
  });

  describe('with TRUST_PROXY=1 (one proxy in front)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ AUTH_RATE_LIMIT: String(LIMIT), TRUST_PROXY: '1' });
    });
    afterAll(() => t.close());

    it('counts the clients the proxy names separately', async () => {
      expect(await statuses(times(2 * LIMIT, (i) => () => login(t.http, `203.0.113.${i + 1}`)))).toEqual(
        times(2 * LIMIT, () => 401),
      );
    });

    it('still limits each of them', async () => {
      const all = await statuses(times(LIMIT + 1, () => () => login(t.http, '198.51.100.7')));
      expect(all).toEqual([...times(LIMIT, () => 401), 429]);
    });

    it('takes the address the trusted hop saw, not one the client prepended', async () => {
      const all = await statuses(times(LIMIT + 1, (i) => () => login(t.http, `10.9.9.${i + 1}, 198.51.100.8`)));
      expect(all).toEqual([...times(LIMIT, () => 401), 429]);
    });
  });

  describe('with REDIS_URL set (distributed mode)', () => {
    it('shares the counts between api instances', async () => {
      const env = {
        AUTH_RATE_LIMIT: String(LIMIT),
        REDIS_URL: TEST_REDIS_URL,
        AUTH_RATE_LIMIT_KEY_PREFIX: uniqueKeyPrefix('auth-rate'),
      };
      const a = await startTestApp(env);
      const b = await startTestApp(env);
      try {
        const calls = times(LIMIT, (i) => () => login(i % 2 === 0 ? a.http : b.http));
        expect(await statuses(calls)).toEqual(times(LIMIT, () => 401));
        // Either instance alone has seen fewer than LIMIT attempts; together they have seen LIMIT.
        expectRateLimited(await login(a.http));
        expectRateLimited(await login(b.http));
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('keeps limiting per process, rather than refusing every login, while Redis is unreachable', async () => {
      const t = await startTestApp({
        AUTH_RATE_LIMIT: String(LIMIT),
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      });
      try {
        const all = await statuses(times(LIMIT + 1, () => () => login(t.http)));
        expect(all).toEqual([...times(LIMIT, () => 401), 429]);
      } finally {
        await t.close();
      }
    });
  });
});
