import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import request from 'supertest';
import { createAgent, createUser, type TestUser } from './factories';
import type { FakeOpenAI } from './fake-openai';
import { readSse } from './sse';

/** What the usage cases run against: the service's base URL and the stand-in its processes call. */
export interface UsageTarget {
  api: string;
  fake: FakeOpenAI;
}

/** The price of the model the cases' agents use, in US dollars per million tokens. */
const PRICE = { input: 0.15, output: 0.6, cachedInput: 0.075 };
const MODEL = 'gpt-4o-mini';
/** What each scripted answer reports: every request uses 1,200 tokens. */
const USAGE = { prompt_tokens: 1000, completion_tokens: 200 };
const PER_REQUEST = USAGE.prompt_tokens + USAGE.completion_tokens;
/** Each request holds this many tokens while it runs: at least what it uses, so the bound is one request. */
const RESERVE = 1500;

/** Room for the burst of the budget case: the budget, not the per-user generation limit, must refuse. */
export const USAGE_ENV = { MAX_CONCURRENT_GENERATIONS: '20' };

/** Writes the config file the cases need (prices, the reservation size); returns its path. */
export function writeUsageConfig(dir: string): string {
  const path = join(dir, 'usage-config.json');
  writeFileSync(
    path,
    JSON.stringify({
      prices: { openai: { [MODEL]: PRICE, 'gpt-4*': { input: 1, output: 1 } } },
      budgets: { reserveTokens: RESERVE },
    }),
  );
  return path;
}

const costOf = (requests: number) =>
  (requests * (USAGE.prompt_tokens * PRICE.input + USAGE.completion_tokens * PRICE.output)) / 1e6;

/**
 * Usage, cost and budgets end to end: what a conversation and the OpenAI-compatible API record,
 * who may read it, and budgets refused before any provider call, never overspent by more than one
 * request when parallel requests race for the last of one.
 */
export function usageCases(target: () => UsageTarget): void {
  let admin: TestUser;
  const http = () => request(target().api);

  beforeAll(async () => {
    // The first user of a fresh deployment is its ADMIN.
    admin = await createUser(http());
    expect(admin.role).toBe('ADMIN');
  });

  const chat = async (user: TestUser, agentId: string, text: string, conversationId?: string) => {
    const res = await http()
      .post('/api/agents/chat')
      .set(user.auth)
      .send({ agent_id: agentId, text, ...(conversationId ? { conversationId } : {}) });
    if (res.status !== 200) return res;
    const frames = (await readSse(`${target().api}/api/agents/chat/stream/${res.body.streamId}`, user.auth)).frames;
    expect(frames[frames.length - 1].data.final).toBe(true);
    return res;
  };
  const newKey = async (user: TestUser): Promise<{ id: string; key: string }> => {
    const res = await http().post('/api/api-keys').set(user.auth).send({ name: 'usage' }).expect(201);
    return { id: res.body.id as string, key: res.body.key as string };
  };
  const sdk = (key: string) => new OpenAI({ apiKey: key, baseURL: `${target().api}/api/agents/v1`, maxRetries: 0 });

  it('records each answer with its agent version and model, priced, for its owner and the agent’s editors', async () => {
    const me = await createUser(http());
    const stranger = await createUser(http());
    const agent = await createAgent(http(), me, { model: MODEL });
    target().fake.setDefault({ tokens: ['Hi', ' there'], usage: USAGE });

    const first = await chat(me, agent.id, 'Hello');
    expect(first.status).toBe(200);
    await http().patch(`/api/agents/${agent.id}`).set(me.auth).send({ instructions: 'Be briefer.' }).expect(200);
    await chat(me, agent.id, 'Again', first.body.conversationId);

    const mine = await http().get('/api/usage').query({ groupBy: 'agentVersion,model' }).set(me.auth).expect(200);
    expect(mine.body.rows).toEqual([
      expect.objectContaining({ agentId: agent.id, agentVersion: 1, provider: 'openai', model: MODEL, requests: 1 }),
      expect.objectContaining({ agentId: agent.id, agentVersion: 2, provider: 'openai', model: MODEL, requests: 1 }),
    ]);
    expect(mine.body.totals).toMatchObject({
      requests: 2,
      inputTokens: 2 * USAGE.prompt_tokens,
      outputTokens: 2 * USAGE.completion_tokens,
      totalTokens: 2 * PER_REQUEST,
      unpricedRequests: 0,
    });
    expect(mine.body.totals.cost).toBeCloseTo(costOf(2), 9);
    expect(mine.body.currency).toBe('USD');

    // The stored answer carries its counts, provider and version.
    const messages = await http().get(`/api/messages/${first.body.conversationId}`).set(me.auth).expect(200);
    expect(messages.body.length).toBe(4);

    // The agent's editors see its usage by day, version and model; others do not.
    const byAgent = await http().get(`/api/agents/${agent.id}/usage`).set(me.auth).expect(200);
    expect(byAgent.body.groupBy).toEqual(['day', 'agentVersion', 'model']);
    expect((byAgent.body.rows as { agentVersion: number }[]).map((r) => r.agentVersion)).toEqual([1, 2]);
    expect(byAgent.body.rows[0].day).toBe(new Date().toISOString().slice(0, 10));
    await http().get(`/api/agents/${agent.id}/usage`).set(stranger.auth).expect(404);
    const refused = await http().get(`/api/agents/${agent.id}/usage`).query({ groupBy: 'user' }).set(me.auth);
    expect(refused.status).toBe(400);
    expect(refused.body.details?.[0]?.field ?? refused.body.message).toMatch(/groupBy/);

    // Nobody else's usage is theirs; only an ADMIN reads another user's.
    const theirs = await http().get('/api/usage').set(stranger.auth).expect(200);
    expect(theirs.body.totals.requests).toBe(0);
    await http().get('/api/usage').query({ userId: me.id }).set(stranger.auth).expect(403);
    const asAdmin = await http().get('/api/usage').query({ userId: me.id, groupBy: '' }).set(admin.auth).expect(200);
    expect(asAdmin.body.rows).toEqual([expect.objectContaining({ requests: 2, totalTokens: 2 * PER_REQUEST })]);
  });

  it('records OpenAI-compatible calls against the API key, and returns their real usage', async () => {
    const me = await createUser(http());
    const agent = await createAgent(http(), me, { model: MODEL });
    const key = await newKey(me);
    target().fake.setDefault({ tokens: ['ok'], usage: USAGE });

    const completion = await sdk(key.key).chat.completions.create({
      model: agent.id,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(completion.usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 });
    const response = await sdk(key.key).responses.create({ model: agent.id, input: 'Hi' });
    expect(response.usage).toMatchObject({ input_tokens: 1000, output_tokens: 200 });

    const byKey = await http()
      .get('/api/usage')
      .query({ apiKeyId: key.id, groupBy: 'apiKey' })
      .set(me.auth)
      .expect(200);
    expect(byKey.body.rows).toEqual([expect.objectContaining({ apiKeyId: key.id, requests: 2 })]);
    const other = await createUser(http());
    await http().get('/api/usage').query({ apiKeyId: key.id }).set(other.auth).expect(404);
  });

  it('refuses requests over an API key’s budget with 429 before the provider, never overspending by more than one request', async () => {
    const me = await createUser(http());
    const agent = await createAgent(http(), me, { model: MODEL });
    const key = await newKey(me);
    const limit = 3 * PER_REQUEST + 100;
    await http()
      .put(`/api/usage/budgets/api-keys/${key.id}`)
      .set(me.auth)
      .send({ daily: { tokens: limit } })
      .expect(403);
    const set = await http()
      .put(`/api/usage/budgets/api-keys/${key.id}`)
      .set(admin.auth)
      .send({ daily: { tokens: limit } })
      .expect(200);
    expect(set.body.budgets).toEqual(
      expect.arrayContaining([expect.objectContaining({ period: 'daily', maxTokens: limit, source: 'admin' })]),
    );

    // Ten at once, each answer slow enough that they all run together.
    target().fake.setDefault({ tokens: ['a', 'b'], tokenDelayMs: 150, usage: USAGE });
    const before = target().fake.requests.length;
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        sdk(key.key).chat.completions.create({ model: agent.id, messages: [{ role: 'user', content: 'Go' }] }),
      ),
    );
    const served = results.filter((r) => r.status === 'fulfilled').length;
    const refusals = results.flatMap((r) =>
      r.status === 'rejected' ? [r.reason as InstanceType<typeof OpenAI.APIError>] : [],
    );
    expect(served).toBeGreaterThanOrEqual(1);
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    for (const refusal of refusals) {
      expect(refusal.status).toBe(429);
      expect(refusal.code).toBe('insufficient_quota');
      expect(refusal.message).toMatch(/daily token budget is used up/);
    }
    // Refused requests never reached the provider.
    expect(target().fake.requests.length - before).toBe(served);

    const dailyOf = async () => {
      const status = await http().get('/api/usage/budget').query({ apiKeyId: key.id }).set(me.auth).expect(200);
      return (status.body.budgets as Record<string, number | string>[]).find((b) => b.period === 'daily')!;
    };
    const afterBurst = await dailyOf();
    expect(afterBurst.usedTokens).toBe(served * PER_REQUEST);
    expect(afterBurst.usedTokens).toBeLessThanOrEqual(limit + PER_REQUEST);
    expect(afterBurst.reservedTokens).toBe(0);

    // One by one until refused (the burst may have left room for one more): refused in OpenAI's terms.
    target().fake.setDefault({ tokens: ['ok'], usage: USAGE });
    let refusal: Response | undefined;
    for (let i = 0; i < 3 && !refusal; i++) {
      const res = await fetch(`${target().api}/api/agents/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key.key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: agent.id, messages: [{ role: 'user', content: 'More' }] }),
      });
      if (res.status === 429) refusal = res;
      else expect(res.status).toBe(200);
    }
    expect(refusal?.headers.get('x-should-retry')).toBe('false');
    expect(Number(refusal?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refusal!.json()) as { error: unknown }).error).toMatchObject({
      type: 'insufficient_quota',
      code: 'insufficient_quota',
    });
    const final = await dailyOf();
    expect(final.usedTokens).toBeGreaterThanOrEqual(limit);
    expect(final.usedTokens).toBeLessThanOrEqual(limit + PER_REQUEST);

    // The key's budget is the key's: the same user's chat still runs.
    expect((await chat(me, agent.id, 'Through the app')).status).toBe(200);

    // An ADMIN's user budget refuses the chat route too, naming the budget; removing it lets chat run again.
    await http()
      .put(`/api/usage/budgets/users/${me.id}`)
      .set(admin.auth)
      .send({ monthly: { tokens: 1 } })
      .expect(200);
    const over = await http().post('/api/agents/chat').set(me.auth).send({ agent_id: agent.id, text: 'Hi' });
    expect(over.status).toBe(429);
    expect(over.body.message).toMatch(
      /Your monthly token budget is used up; it resets at \d{4}-\d{2}-01T00:00:00.000Z/,
    );
    await http().put(`/api/usage/budgets/users/${me.id}`).set(admin.auth).send({ monthly: null }).expect(200);
    expect((await chat(me, agent.id, 'Back')).status).toBe(200);
  });

  it('validates reports and budgets, naming the field', async () => {
    const me = await createUser(http());
    const bad = await http().get('/api/usage').query({ from: '2026-13-01' }).set(me.auth).expect(400);
    expect(JSON.stringify(bad.body)).toMatch(/from/);
    const span = await http()
      .get('/api/usage')
      .query({ from: '2024-01-01', to: '2026-01-01' })
      .set(me.auth)
      .expect(400);
    expect(JSON.stringify(span.body)).toMatch(/366 days/);
    const group = await http().get('/api/usage').query({ groupBy: 'day,color' }).set(me.auth).expect(400);
    expect(JSON.stringify(group.body)).toMatch(/groupBy/);
    const budget = await http()
      .put(`/api/usage/budgets/users/${me.id}`)
      .set(admin.auth)
      .send({ daily: { tokens: -5 } })
      .expect(400);
    expect(JSON.stringify(budget.body)).toMatch(/daily\.tokens|tokens/);
    await http()
      .put('/api/usage/budgets/users/00000000-0000-4000-8000-000000000000')
      .set(admin.auth)
      .send({})
      .expect(404);
  });
}
