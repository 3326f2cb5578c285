import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import type { WebSearchConfig } from '@agents/core';
import { startFakeSearch, type FakeSearch, type FakeSearchHit } from '@agents/testing/fake-search';
import type { ToolCallContext, ToolResult } from '../tool';
import { WebSearchTool } from './web-search.tool';

type Provider = WebSearchConfig['provider'];

const PROVIDERS: Provider[] = ['searxng', 'tavily', 'brave'];

const HITS: FakeSearchHit[] = [
  {
    title: 'Streams in Node.js',
    url: 'https://nodejs.org/api/stream.html',
    snippet: 'A stream is an abstract interface.',
  },
  {
    title: 'Backpressure explained',
    url: 'https://example.com/backpressure',
    snippet: 'When a consumer is slower than its producer.',
    publishedAt: '2024-05-01T00:00:00',
  },
  { title: 'Readable streams', url: 'http://example.org/readable', snippet: 'Reading from a stream.' },
];

function contextWith(signal: AbortSignal = new AbortController().signal): ToolCallContext {
  return { signal, userId: 'u1', agentId: 'a1', conversationId: 'c1', messageId: 'm1', toolCallId: 'call_1' };
}

/** The web_search tool against a real HTTP server speaking SearXNG's, Tavily's and Brave's APIs. */
describe('WebSearchTool', () => {
  let fake: FakeSearch;

  beforeAll(async () => {
    fake = await startFakeSearch();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  function toolFor(provider: Provider, overrides: Partial<WebSearchConfig> = {}): WebSearchTool {
    const config: WebSearchConfig = {
      provider,
      url: fake.url,
      ...(provider === 'searxng' ? {} : { apiKey: fake.apiKey }),
      maxResults: 5,
      timeoutMs: 5_000,
      ...overrides,
    };
    return new WebSearchTool(config);
  }

  const search = (tool: WebSearchTool, query: string, signal?: AbortSignal): Promise<ToolResult> =>
    tool.call({ query }, contextWith(signal));

  describe('sends each API its own request', () => {
    it('SearXNG: GET /search with q, format=json and pageno, and no key', async () => {
      fake.script({ results: HITS });
      await search(toolFor('searxng'), 'node streams');
      expect(fake.requests).toHaveLength(1);
      const [request] = fake.requests;
      expect(request).toMatchObject({
        backend: 'searxng',
        method: 'GET',
        path: '/search',
        query: { q: 'node streams', format: 'json', pageno: '1' },
      });
      expect(request?.headers.authorization).toBeUndefined();
    });

    it('Tavily: POST /search with a JSON body and the key as a bearer token', async () => {
      fake.script({ results: HITS });
      await search(toolFor('tavily', { maxResults: 3 }), 'node streams');
      const [request] = fake.requests;
      expect(request).toMatchObject({ backend: 'tavily', method: 'POST', path: '/search' });
      expect(request?.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.body).toEqual({ query: 'node streams', max_results: 3, search_depth: 'basic' });
    });

    it('Brave: GET /res/v1/web/search with q and count, the key as X-Subscription-Token', async () => {
      fake.script({ results: HITS });
      await search(toolFor('brave', { maxResults: 4 }), 'node streams');
      const [request] = fake.requests;
      expect(request).toMatchObject({
        backend: 'brave',
        method: 'GET',
        path: '/res/v1/web/search',
        query: { q: 'node streams', count: '4' },
      });
      expect(request?.headers['x-subscription-token']).toBe(fake.apiKey);
      expect(request?.headers.accept).toBe('application/json');
    });

    it('keeps a base URL with a trailing slash or a path of its own', async () => {
      await search(toolFor('searxng', { url: `${fake.url}/` }), 'q');
      await search(toolFor('brave', { url: `${fake.url}/brave` }), 'q'); // a 404 from the stand-in
      expect(fake.requests.map((r) => r.path)).toEqual(['/search', '/brave/res/v1/web/search']);
    });
  });

  describe.each(PROVIDERS)('%s', (provider) => {
    it('numbers the results for the model and attaches them as citations', async () => {
      fake.script({ results: HITS.map((hit) => ({ ...hit, engine: 'duckduckgo' })) });
      const result = await search(toolFor(provider), 'node streams');

      expect(result.isError).toBeUndefined();
      expect(result.output).toBe(
        [
          'Search results for "node streams":',
          '[1] Streams in Node.js\nURL: https://nodejs.org/api/stream.html\nA stream is an abstract interface.',
          '[2] Backpressure explained\nURL: https://example.com/backpressure\nPublished: 2024-05-01T00:00:00\n' +
            'When a consumer is slower than its producer.',
          '[3] Readable streams\nURL: http://example.org/readable\nReading from a stream.',
          'Cite sources as [n].',
        ].join('\n\n'),
      );
      const source = provider === 'searxng' ? 'duckduckgo' : provider;
      expect(result.attachments).toEqual([
        {
          type: 'citations',
          query: 'node streams',
          citations: [
            { index: 1, title: HITS[0]?.title, url: HITS[0]?.url, snippet: HITS[0]?.snippet, source },
            {
              index: 2,
              title: HITS[1]?.title,
              url: HITS[1]?.url,
              snippet: HITS[1]?.snippet,
              source,
              publishedAt: '2024-05-01T00:00:00',
            },
            { index: 3, title: HITS[2]?.title, url: HITS[2]?.url, snippet: HITS[2]?.snippet, source },
          ],
        },
      ]);
    });

    it('gives the model no more than maxResults, and drops results without an http(s) URL', async () => {
      const many: FakeSearchHit[] = [
        { title: 'FTP mirror', url: 'ftp://mirror.example/file', snippet: 'not for the web' },
        { title: 'Script', url: 'javascript:alert(1)' },
        ...Array.from({ length: 8 }, (_, i) => ({ title: `Page ${i + 1}`, url: `https://example.com/${i + 1}` })),
      ];
      fake.script({ results: many });
      const result = await search(toolFor(provider, { maxResults: 4 }), 'pages');
      const [attachment] = result.attachments ?? [];
      const urls = attachment?.type === 'citations' ? attachment.citations.map((c) => c.url) : [];
      // Tavily and Brave cut at the count they were sent, FTP and script results included.
      const expected = provider === 'searxng' ? [1, 2, 3, 4] : [1, 2];
      expect(urls).toEqual(expected.map((i) => `https://example.com/${i}`));
      expect(result.output).not.toMatch(/ftp:|javascript:/);
    });

    it('says so, without error or attachment, when nothing is found', async () => {
      fake.script({ results: [] });
      await expect(search(toolFor(provider), 'xyzzy plugh')).resolves.toEqual({
        output: 'No results found for "xyzzy plugh".',
      });
    });

    it('reports an error status as an error result naming the status', async () => {
      fake.script({ fail: { status: 500, message: 'engine exploded' } });
      const result = await search(toolFor(provider), 'q');
      expect(result.isError).toBe(true);
      expect(result.output).toMatch(
        /^Error: web search failed: (SearXNG|Tavily|Brave) answered 500 Internal Server Error/,
      );
      if (provider !== 'searxng') expect(result.output).toMatch(/: engine exploded$/);
    });

    it('reports an answer that is not JSON as an error result', async () => {
      fake.script({ rawBody: '<html>surprise</html>' });
      const result = await search(toolFor(provider), 'q');
      expect(result).toEqual({
        output: expect.stringMatching(/^Error: web search failed: \w+ answered with something other than JSON$/),
        isError: true,
      });
    });

    it('gives up after timeoutMs with an error result, and hangs up', async () => {
      fake.script({ delayMs: 5_000 });
      const started = Date.now();
      const result = await search(toolFor(provider, { timeoutMs: 200 }), 'slow');
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(result).toEqual({
        output: expect.stringMatching(/^Error: web search failed: \w+ did not answer within 0.2 s$/),
        isError: true,
      });
      await fake.requests[0]?.clientClosed;
      expect(fake.requests[0]?.closedByClient).toBe(true);
    });

    it("rejects with the abort reason as soon as the call's signal fires, and hangs up", async () => {
      fake.script({ hang: true });
      const controller = new AbortController();
      const call = search(toolFor(provider), 'never', controller.signal);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const aborted = Date.now();
      controller.abort(new Error('user aborted'));
      await expect(call).rejects.toThrow('user aborted');
      expect(Date.now() - aborted).toBeLessThan(500);
      await fake.requests[0]?.clientClosed;
      expect(fake.requests[0]?.closedByClient).toBe(true);
    });
  });

  describe('keys', () => {
    it.each<[Provider, RegExp]>([
      [
        'tavily',
        /^Error: web search failed: Tavily answered 401 Unauthorized: Unauthorized: missing or invalid API key\.$/,
      ],
      [
        'brave',
        /^Error: web search failed: Brave answered 401 Unauthorized: The provided subscription token is invalid\.$/,
      ],
    ])('%s: a refused key is an error result that does not repeat the key', async (provider, message) => {
      const wrongKey = 'sk-wrong-0123456789';
      const result = await search(toolFor(provider, { apiKey: wrongKey }), 'q');
      expect(result).toEqual({ output: expect.stringMatching(message), isError: true });
      expect(result.output).not.toContain(wrongKey);
    });

    it.each<Provider>(['tavily', 'brave'])(
      '%s: never repeats the key, even when the API echoes it',
      async (provider) => {
        fake.script({ fail: { status: 403, message: `key ${fake.apiKey} is over its quota` } });
        const result = await search(toolFor(provider), 'q');
        expect(result.isError).toBe(true);
        expect(result.output).not.toContain(fake.apiKey);
        expect(result.output).toMatch(/key \[redacted\] is over its quota$/);
      },
    );
  });

  it('SearXNG without the json format: the error says to enable it', async () => {
    const htmlOnly = await startFakeSearch({ searxngJson: false });
    try {
      const tool = new WebSearchTool({ provider: 'searxng', url: htmlOnly.url, maxResults: 5, timeoutMs: 5_000 });
      await expect(search(tool, 'q')).resolves.toEqual({
        output:
          'Error: web search failed: SearXNG answered 403 Forbidden: is the json format enabled (search.formats in its settings.yml)?',
        isError: true,
      });
    } finally {
      await htmlOnly.close();
    }
  });

  it('turns HTML in titles and snippets into plain text, and cuts long snippets', async () => {
    fake.script({
      results: [
        {
          title: '<strong>Node</strong> &amp; streams',
          url: 'https://example.com/a',
          snippet: 'Use <strong>pipeline()</strong> &lt;not pipe&gt; &#8212; it&#39;s   safer.',
        },
        { title: 'Long', url: 'https://example.com/b', snippet: 'word '.repeat(300) },
      ],
    });
    const result = await search(toolFor('brave'), 'node streams');
    const [attachment] = result.attachments ?? [];
    const citations = attachment?.type === 'citations' ? attachment.citations : [];
    expect(citations[0]).toMatchObject({ title: 'Node & streams', snippet: "Use pipeline() <not pipe> — it's safer." });
    expect(citations[1]?.snippet?.length).toBeLessThanOrEqual(500);
    expect(citations[1]?.snippet).toMatch(/^word word .* word…$/);
    expect(result.output).not.toContain('<strong>');
  });

  it('skips malformed entries of a results list rather than failing the search', async () => {
    fake.script({
      rawBody: JSON.stringify({
        query: 'q',
        results: [null, 'text', { title: 'No URL' }, { title: 'Fine', url: 'https://example.com/fine', content: 'ok' }],
      }),
    });
    const result = await search(toolFor('searxng'), 'q');
    expect(result.attachments).toEqual([
      {
        type: 'citations',
        query: 'q',
        citations: [{ index: 1, title: 'Fine', url: 'https://example.com/fine', snippet: 'ok', source: 'searxng' }],
      },
    ]);
  });

  it.each<Provider>(['searxng', 'tavily'])(
    '%s: an answer without a results list is an error result',
    async (provider) => {
      fake.script({ rawBody: JSON.stringify({ query: 'q', message: 'maintenance' }) });
      const result = await search(toolFor(provider), 'q');
      expect(result).toEqual({
        output: expect.stringMatching(/^Error: web search failed: \w+'s answer has no results list$/),
        isError: true,
      });
    },
  );

  it('reports a backend it cannot reach as an error result naming why', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const tool = new WebSearchTool({
      provider: 'searxng',
      url: `http://127.0.0.1:${port}`,
      maxResults: 5,
      timeoutMs: 5_000,
    });
    await expect(search(tool, 'q')).resolves.toEqual({
      output: 'Error: web search failed: could not reach SearXNG: ECONNREFUSED',
      isError: true,
    });
  });

  it.each([[{}], [{ query: '' }], [{ query: '   ' }], [{ query: 42 }], [{ q: 'streams' }]])(
    'refuses %j without asking the backend, naming "query"',
    async (args) => {
      const result = await toolFor('brave').call(args, contextWith());
      expect(result).toEqual({ output: expect.stringMatching(/^Error: the argument "query"/), isError: true });
      expect(fake.requests).toHaveLength(0);
    },
  );

  it('refuses a query over 400 characters without asking the backend', async () => {
    const result = await search(toolFor('brave'), 'a'.repeat(401));
    expect(result).toEqual({ output: 'Error: the query is 401 characters long; the limit is 400', isError: true });
    expect(fake.requests).toHaveLength(0);
  });
});
