import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, servePages } from './support/browser';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai';
import { createAgent, createUser, type TestUser } from './support/factories';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * A page on another origin chats in headless Chromium with each SSE client a browser app uses: the
 * native EventSource (through the start answer's ticketed `streamUrl`), `@microsoft/fetch-event-source`
 * and `sse.js` (what LibreChat's web client uses). Mid-stream the server cuts the connection; the
 * client reconnects by itself with `Last-Event-ID`, and the page ends up showing exactly the text
 * the provider sent, every message parsed as JSON.
 */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<pre id="out"></pre>
<script type="module">
import { fetchEventSource } from '/nm/@microsoft/fetch-event-source/lib/esm/index.js';
import { SSE } from '/nm/sse.js/lib/sse.js';

const q = new URLSearchParams(location.search);
const [api, token, agent, client] = ['api', 'token', 'agent', 'client'].map((name) => q.get(name));
const state = (window.chat = { text: '', opens: 0, parseErrors: 0, final: null, error: null, done: false });
let finish = () => {};
function onData(data) {
  let payload;
  try {
    payload = JSON.parse(data);
  } catch {
    state.parseErrors++;
    return;
  }
  if (payload.event === 'on_message_delta') {
    state.text += payload.data.delta.content[0].text;
    document.getElementById('out').textContent = state.text;
  }
  if (payload.final) state.final = payload;
  if (payload.error) state.error = payload.error;
  if (payload.final || payload.error) finish();
}

const started = await (
  await fetch(api + '/api/agents/chat', {
    method: 'POST',
    headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
    body: JSON.stringify({ agent_id: agent, text: 'Tell me a long story' }),
  })
).json();
state.streamId = started.streamId;
const streamPath = api + '/api/agents/chat/stream/' + started.streamId;

if (client === 'eventsource') {
  const source = new EventSource(started.streamUrl);
  source.onopen = () => state.opens++;
  source.onmessage = (e) => onData(e.data);
  source.addEventListener('error', (e) => e.data && onData(e.data)); // a stream's error frame, not a drop
  finish = () => { source.close(); state.done = true; };
} else if (client === 'fetch-event-source') {
  const stop = new AbortController();
  finish = () => { stop.abort(); state.done = true; };
  fetchEventSource(streamPath, {
    headers: { authorization: 'Bearer ' + token },
    signal: stop.signal,
    openWhenHidden: true,
    onopen: async () => { state.opens++; },
    onmessage: (e) => onData(e.data),
    onerror: () => 300, // retry in 300 ms, with Last-Event-ID
  });
} else {
  const source = new SSE(streamPath, {
    headers: { authorization: 'Bearer ' + token },
    autoReconnect: true,
    reconnectDelay: 300,
    useLastEventId: true,
    start: false,
  });
  source.addEventListener('open', () => state.opens++);
  source.addEventListener('message', (e) => onData(e.data));
  source.addEventListener('error', (e) => e.data && onData(e.data));
  finish = () => { source.autoReconnect = false; source.close(); state.done = true; };
  source.stream();
}
</script>`;

interface PageChat {
  text: string;
  opens: number;
  parseErrors: number;
  final: { responseMessage: { text: string } } | null;
  error: string | null;
  done: boolean;
}

describe('browsers: EventSource, fetch-event-source and sse.js against the chat stream', () => {
  let fake: FakeOpenAI;
  let pages: Awaited<ReturnType<typeof servePages>>;
  let t: TestApp;
  let browser: Browser;
  let me: TestUser;
  let agentId: string;
  /** The SSE connections the api holds, and the Last-Event-ID each arrived with. */
  const streams: { socket: Socket; lastEventId?: string }[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    pages = await servePages({ '/chat.html': PAGE });
    t = await startTestApp({
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'sk-test',
      CORS_ORIGINS: pages.origin,
      MAX_CONCURRENT_GENERATIONS: '10',
    });
    t.app.getHttpServer().on('request', (req: IncomingMessage) => {
      if (req.method === 'GET' && req.url?.includes('/chat/stream/')) {
        const lastEventId = req.headers['last-event-id'];
        streams.push({ socket: req.socket, lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined });
      }
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    me = await createUser(t.http);
    agentId = (await createAgent(t.http, me)).id;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await pages?.close();
    await fake?.close();
  });

  it.each(['eventsource', 'fetch-event-source', 'sse.js'])(
    '%s: survives a server-side cut mid-stream and shows exactly the text sent',
    async (client) => {
      const tokens = Array.from({ length: 40 }, (_, i) => `t${i} `);
      fake.script({ tokens, tokenDelayMs: 40 });
      const before = streams.length;
      const calls = fake.requests.length;
      const page = await browser.newPage();
      try {
        const query = new URLSearchParams({ api: t.baseUrl, token: me.token, agent: agentId, client });
        await page.goto(`${pages.origin}/chat.html?${query.toString()}`);
        // Cut the page's stream connection once a quarter of the answer went out.
        await waitUntil(() => (fake.requests[calls]?.tokensSent ?? 0) >= 10 && streams.length > before);
        streams[before].socket.destroy();

        await page.waitForFunction(() => (globalThis as unknown as { chat: PageChat }).chat.done, undefined, {
          timeout: 30_000,
        });
        const chat = await page.evaluate(() => (globalThis as unknown as { chat: PageChat }).chat);
        expect(chat).toMatchObject({ text: tokens.join(''), parseErrors: 0, error: null });
        expect(chat.final?.responseMessage.text).toBe(tokens.join(''));
        expect(await page.textContent('#out')).toBe(tokens.join(''));
        // It reconnected by itself, resuming after the last event it had.
        expect(chat.opens).toBeGreaterThanOrEqual(2);
        const reconnects = streams.slice(before + 1);
        expect(reconnects.length).toBeGreaterThanOrEqual(1);
        expect(reconnects[0].lastEventId).toMatch(/^\d+-\d+$/);
      } finally {
        await page.close();
      }
    },
    60_000,
  );
});

async function waitUntil(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('Timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
