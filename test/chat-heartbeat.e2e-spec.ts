import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgent, createUser } from './support/factories';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { startTestApp, type TestApp } from './support/test-app';

interface RawSse {
  headers: http.IncomingHttpHeaders;
  /** The body as received, with when each chunk arrived (ms after the request). */
  chunks: { at: number; text: string }[];
}

/** Reads an SSE response byte for byte (no parsing), asking for gzip like a browser does. */
function readRaw(url: string, headers: Record<string, string>): Promise<RawSse> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const req = http.get(
      url,
      { headers: { ...headers, 'Accept-Encoding': 'gzip, deflate, br' }, agent: false },
      (res) => {
        const chunks: RawSse['chunks'] = [];
        res.setEncoding('utf8');
        res.on('data', (text: string) => chunks.push({ at: Date.now() - t0, text }));
        res.on('end', () => resolve({ headers: res.headers, chunks }));
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error('SSE read timed out')));
    req.on('error', reject);
  });
}

/**
 * Heartbeats keep idle streams open through proxies (SSE_HEARTBEAT_SECONDS), and are written as
 * whole comment blocks between whole frames; SSE is never compressed (a compressing proxy or
 * middleware would buffer it).
 */
describe('chat SSE heartbeat', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let base: string;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await startTestApp({ OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test', SSE_HEARTBEAT_SECONDS: '1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('pings every second before the first token, never inside a frame nor as a frame alone, and sends SSE uncompressed', async () => {
    const tokens = Array.from({ length: 30 }, (_, i) => `w${i} `);
    fake.script({ tokens, firstTokenDelayMs: 2_600, tokenDelayMs: 50 });
    const me = await createUser(t.http);
    const agent = await createAgent(t.http, me);
    const started = await t.http
      .post('/api/agents/chat')
      .set(me.auth)
      .send({ agent_id: agent.id, text: 'Take your time' })
      .expect(200);

    const sse = await readRaw(`${base}/api/agents/chat/stream/${started.body.streamId}`, me.auth);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(sse.headers['content-encoding']).toBeUndefined();

    const body = sse.chunks.map((c) => c.text).join('');
    expect(body.endsWith('\n\n')).toBe(true);
    const blocks = body.slice(0, -2).split('\n\n');
    // Every block is one whole frame (id, event, data), perhaps led by comment lines (pings): never
    // comments alone, which some clients turn into an empty message, and a ping never splits a frame.
    for (const block of blocks) {
      const lines = block.split('\n');
      const comments = lines.filter((line) => line.startsWith(':'));
      expect(lines.slice(0, comments.length)).toEqual(comments);
      expect(lines.slice(comments.length)).toEqual([
        expect.stringMatching(/^id: \d+-\d+$/),
        expect.stringMatching(/^event: (message|error)$/),
        expect.stringMatching(/^data: \{.*\}$/),
      ]);
      JSON.parse(lines[lines.length - 1].slice(6));
    }

    const firstDelta = blocks.findIndex((b) => b.includes('"on_message_delta"'));
    const pingsBeforeFirstToken = blocks
      .slice(0, firstDelta + 1)
      .flatMap((b) => b.split('\n'))
      .filter((line) => line === ': ping').length;
    expect(pingsBeforeFirstToken).toBeGreaterThanOrEqual(2); // ~2.6 s of silence, a ping each second
    const firstPing = sse.chunks.find((c) => c.text.includes(': ping'));
    expect(firstPing!.at).toBeLessThan(1_800);
    const text = blocks
      .filter((b) => b.includes('"on_message_delta"'))
      .map((b) => JSON.parse(b.split('\n').pop()!.slice(6)).data.delta.content[0].text as string)
      .join('');
    expect(text).toBe(tokens.join(''));
    expect(blocks[blocks.length - 1]).toContain('"final":true');
  });
});
