import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { BudgetsConfig, type AppConfig } from '@agents/core';
import { insertUser, openIntegrationDatabase, type IntegrationDatabase } from '@agents/testing/integration-database';
import { BudgetExceededError, BudgetGate } from './budget-gate';
import { PriceTable } from './price-table';
import { UsageRecorder } from './usage-recorder';
import { UsageRepository } from './usage.repository';

const RESERVE = 1000;
const config = (budgets: Record<string, unknown> = {}) =>
  ({
    prices: [{ provider: 'openai', model: 'm', input: 1, output: 2 }],
    budgets: plainToInstance(BudgetsConfig, { reserveTokens: RESERVE, ...budgets }),
    tools: { generationTimeoutMs: 60_000 },
  }) as unknown as AppConfig;

describe('usage records, daily roll-up and budgets (integration)', () => {
  let idb: IntegrationDatabase;
  let repository: UsageRepository;

  beforeAll(async () => {
    idb = await openIntegrationDatabase(10);
    repository = new UsageRepository(idb.db);
  });
  afterAll(() => idb?.close());

  const gate = (c: AppConfig) => new BudgetGate(idb.db, repository, new PriceTable(c), c);
  const recorder = (c: AppConfig) => new UsageRecorder(repository, new PriceTable(c));
  const claim = (userId: string, apiKeyId?: string) => ({
    id: randomUUID(),
    userId,
    apiKeyId,
    provider: 'openai',
    model: 'm',
  });
  const finished = (id: string, userId: string, tokens: { promptTokens: number; completionTokens: number }) => ({
    id,
    userId,
    agentId: 'agent_aaaaaaaaaaaaaaaaaaaaa',
    agentVersion: 1,
    provider: 'openai',
    model: 'm',
    usage: tokens,
    at: new Date(),
  });

  it('counts a generation once however often it is recorded, and keeps the roll-up equal to the records', async () => {
    const user = await insertUser(idb.dataSource);
    const c = config();
    const id = randomUUID();
    const entry = finished(id, user.id, { promptTokens: 100, completionTokens: 50 });
    await recorder(c).record(entry);
    await recorder(c).record(entry); // a retry after a commit that went unheard
    await recorder(c).record(finished(randomUUID(), user.id, { promptTokens: 10, completionTokens: 5 }));
    const today = new Date().toISOString().slice(0, 10);
    const [row] = await repository.aggregate({ from: today, to: today, userId: user.id }, [], 1);
    expect(row).toMatchObject({ requests: 2, inputTokens: 110, outputTokens: 55, unpricedRequests: 0 });
    expect(row.cost).toBeCloseTo((110 * 1 + 55 * 2) / 1e6, 9);
    const [records] = await idb.dataSource.query<{ n: string; input: string }[]>(
      `SELECT count(*) AS n, sum(input_tokens) AS input FROM usage_records WHERE user_id = $1`,
      [user.id],
    );
    expect([Number(records.n), Number(records.input)]).toEqual([2, 110]);
  });

  it('lets parallel requests take only the room a budget has: each reserves, the limit is never passed by more than one reservation', async () => {
    const user = await insertUser(idb.dataSource);
    const c = config({ users: { daily: { tokens: 3 * RESERVE + 1 } } });
    const g = gate(c);
    const attempts = await Promise.allSettled(Array.from({ length: 12 }, () => g.reserve(claim(user.id))));
    const admitted = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.filter((a) => a.status === 'rejected');
    // Room for 3 reservations below the limit, and the one that takes the last of it.
    expect(admitted.length).toBe(4);
    for (const r of refused) expect(r.reason).toBeInstanceOf(BudgetExceededError);
    const [held] = await idb.dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM usage_reservations WHERE user_id = $1`,
      [user.id],
    );
    expect(Number(held.n)).toBe(4);
  });

  it('replaces a reservation by the usage recorded, so a small answer frees the room it held', async () => {
    const user = await insertUser(idb.dataSource);
    const c = config({ users: { daily: { tokens: RESERVE } } });
    const g = gate(c);
    const first = claim(user.id);
    await g.reserve(first);
    await expect(g.reserve(claim(user.id))).rejects.toBeInstanceOf(BudgetExceededError);
    await recorder(c).record(finished(first.id, user.id, { promptTokens: 10, completionTokens: 10 }));
    await g.reserve(claim(user.id)); // 20 used, nothing held: room again
    const [status] = (await g.status({ type: 'user', id: user.id })).filter((s) => s.period === 'daily');
    expect(status).toMatchObject({ usedTokens: 20, reservedTokens: RESERVE, maxTokens: RESERVE, source: 'config' });
  });

  it('ignores reservations past their expiry (a worker that died), and drops them', async () => {
    const user = await insertUser(idb.dataSource);
    const c = config({ users: { daily: { tokens: RESERVE } } });
    await idb.dataSource.query(
      `INSERT INTO usage_reservations (id, user_id, api_key_id, tokens, cost, expires_at)
       VALUES ($1, $2, NULL, $3, 0, now() - interval '1 second')`,
      [randomUUID(), user.id, 10 * RESERVE],
    );
    await gate(c).reserve(claim(user.id));
    const [held] = await idb.dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM usage_reservations WHERE user_id = $1`,
      [user.id],
    );
    expect(Number(held.n)).toBe(1);
  });

  it('checks an API key and its owner separately: the key’s limit refuses only the key', async () => {
    const user = await insertUser(idb.dataSource);
    const key = randomUUID();
    const c = config({ apiKeys: { monthly: { cost: 0.001 } } });
    const g = gate(c);
    // A reservation of 1,000 tokens at the model's highest price (2 per million) holds $0.002.
    await g.reserve(claim(user.id, key));
    await expect(g.reserve(claim(user.id, key))).rejects.toMatchObject({
      subject: 'api_key',
      period: 'monthly',
      measure: 'cost',
    });
    await expect(g.reserve(claim(user.id))).resolves.toBe(false); // no user limit: nothing to hold
  });

  it("applies an ADMIN's limit over the default, an empty one as no limit, and the default again once removed", async () => {
    const user = await insertUser(idb.dataSource);
    const g = gate(config({ users: { daily: { tokens: 1 } } }));
    const subject = { type: 'user' as const, id: user.id };
    await expect(g.reserve(claim(user.id))).resolves.toBe(true);
    await expect(g.reserve(claim(user.id))).rejects.toBeInstanceOf(BudgetExceededError);
    await g.set(subject, 'daily', { maxTokens: null, maxCost: null });
    await expect(g.reserve(claim(user.id))).resolves.toBe(false);
    await g.set(subject, 'daily', { maxTokens: 5 * RESERVE, maxCost: null });
    expect((await g.status(subject)).find((s) => s.period === 'daily')).toMatchObject({
      maxTokens: 5 * RESERVE,
      source: 'admin',
    });
    await expect(g.reserve(claim(user.id))).resolves.toBe(true);
    await g.set(subject, 'daily', undefined);
    await expect(g.reserve(claim(user.id))).rejects.toBeInstanceOf(BudgetExceededError);
  });
});
