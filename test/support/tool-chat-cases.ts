import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import OpenAI from 'openai-v7';
import { createAgent, createUser, type TestUser } from './factories';
import type { FakeOpenAI, FakeScript } from './fake-openai';
import type { FakeSearch } from './fake-search';
import { expectResponseEvent, expectSchema } from './openai-schemas';
import { readSse, type SseFrame } from './sse';

/** Where the tool cases run: the api that serves them and the stand-ins its tools and model talk to. */
export interface ToolDeployment {
  fake: FakeOpenAI;
  search: FakeSearch;
  api: string;
  /** Stops the `flaky` MCP server (an HTTP one) for the "server went down" case. */
  stopFlakyMcp(): Promise<void>;
}

/** The stdio MCP test server, as the config file starts it. */
export const MCP_STDIO = { command: process.execPath, args: [join(__dirname, 'mcp-server.mjs'), '--stdio'] };

/**
 * Writes the config file of a deployment with every tool: a SearXNG backend (the stand-in), the
 * MCP test server over stdio (`local`), over streamable HTTP (`remote`, `flaky`), and a server
 * that never answers (`gone`). Returns its path, for CONFIG_PATH.
 */
export function writeToolsConfig(dir: string, urls: { search: string; remote: string; flaky: string }): string {
  const path = join(dir, 'agents.config.json');
  writeFileSync(
    path,
    JSON.stringify({
      webSearch: { provider: 'searxng', url: urls.search, maxResults: 3 },
      mcpServers: {
        local: MCP_STDIO,
        remote: { url: urls.remote },
        flaky: { url: urls.flaky, connectTimeoutMs: 2000 },
        gone: { url: 'http://127.0.0.1:9/mcp', connectTimeoutMs: 1000 },
      },
    }),
  );
  return path;
}

/**
 * Variables every tool deployment runs with: a short tool timeout for the hanging-tool case, long
 * enough for a tool's first call on a worker that has just started on a loaded CI machine (the
 * calculator's process loading mathjs took over 1.5 s there).
 */
export const TOOL_ENV = { TOOL_TIMEOUT_MS: '4000' };

const frameKinds = (frames: SseFrame[]) =>
  frames.map((f) =>
    f.event === 'error'
      ? 'error'
      : f.data.created
        ? 'created'
        : f.data.final
          ? 'final'
          : f.data.event === 'on_run_step'
            ? `run_step:${String(f.data.data.type)}`
            : String(f.data.event),
  );
const toolResults = (frames: SseFrame[]) =>
  frames
    .filter((f) => f.data.event === 'on_run_step_completed')
    .map((f) => f.data.data.result.tool_call as { id: string; name: string; args: string; output: string });
const finalOf = (frames: SseFrame[]): Record<string, any> => frames[frames.length - 1].data as Record<string, any>;

/** A script calling one tool, then one answering with the tool's result in it. */
function callThenAnswer(
  name: string,
  args: unknown,
  id = `call_${name.slice(0, 20)}`,
): [FakeScript, (body: any) => FakeScript] {
  return [
    { toolCalls: [{ id, name, arguments: JSON.stringify(args), argumentChunks: 2 }] },
    (body) => {
      const result = (body.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool').pop();
      return { tokens: ['Result: ', String(result?.content)] };
    },
  ];
}

/** The tool cases of the tools issue, written once for both run modes. */
export function toolChatCases(deployment: () => ToolDeployment): void {
  const ctx = () => deployment();
  const http = () => request(ctx().api);
  const newUserWithAgent = async (overrides: Record<string, unknown>) => {
    const me = await createUser(http());
    const agent = await createAgent(http(), me, overrides);
    return { me, agent };
  };
  const chat = async (me: TestUser, agentId: string, text = 'What is 12.5% of 1,840?', extra = {}) =>
    (
      await http()
        .post('/api/agents/chat')
        .set(me.auth)
        .send({ agent_id: agentId, text, ...extra })
        .expect(200)
    ).body as { streamId: string; conversationId: string; responseMessageId: string; userMessageId: string };
  const stream = (me: TestUser, streamId: string, headers: Record<string, string> = {}, query = '') =>
    readSse(
      `${ctx().api}/api/agents/chat/stream/${streamId}${query}`,
      { ...me.auth, ...headers },
      { timeoutMs: 20_000 },
    );

  it('lists what this deployment runs: the calculator, web search and every MCP tool with its schema', async () => {
    const me = await createUser(http());
    const tools = (await http().get('/api/agents/tools').set(me.auth).expect(200)).body as {
      id: string;
      source: string;
      available: boolean;
      parameters: Record<string, unknown>;
    }[];
    const byId = new Map(tools.map((t) => [t.id, t]));
    expect(byId.get('calculator')).toMatchObject({ source: 'builtin', available: true });
    expect(byId.get('web_search')).toMatchObject({ source: 'builtin', available: true });
    expect(byId.get('add_mcp_local')).toMatchObject({
      source: 'mcp',
      available: true,
      parameters: { type: 'object', properties: { a: expect.any(Object), b: expect.any(Object) } },
    });
    expect(byId.get('add_mcp_remote')).toMatchObject({ source: 'mcp', available: true });
    expect(byId.get('sys__all__sys_mcp_gone')).toMatchObject({ available: false });

    const servers = (await http().get('/api/mcp/servers').set(me.auth).expect(200)).body.servers as {
      name: string;
      state: string;
      lastError?: string;
    }[];
    expect(servers.find((s) => s.name === 'local')).toMatchObject({ state: 'connected' });
    expect(servers.find((s) => s.name === 'gone')).toMatchObject({ state: 'failed' });
    // Why a server is down is for admins (the first user of a deployment is one); others see that it is.
    expect(me.role).toBe('ADMIN');
    expect(servers.find((s) => s.name === 'gone')?.lastError).toEqual(expect.any(String));
    const user = await createUser(http());
    const seen = (await http().get('/api/mcp/servers').set(user.auth).expect(200)).body.servers as {
      name: string;
      lastError?: string;
    }[];
    expect(seen.find((s) => s.name === 'gone')).not.toHaveProperty('lastError');
  });

  it('refuses to save an unknown tool or MCP tool, naming it, and accepts a tool of a server that is down', async () => {
    const me = await createUser(http());
    const bad = await http()
      .post('/api/agents')
      .set(me.auth)
      .send({
        name: 'x',
        provider: 'openai',
        model: 'gpt-4o',
        tools: ['calculator', 'nosuch', 'nosuch_mcp_local', 'add_mcp_nowhere'],
      })
      .expect(400);
    const text = JSON.stringify(bad.body);
    for (const field of ['tools[1]', 'tools[2]', 'tools[3]']) expect(text).toContain(field);
    expect(text).not.toContain('tools[0]');
    await createAgent(http(), me, { tools: ['add_mcp_gone'] });
  });

  it('answers "what is 12.5% of 1,840" by calling the calculator, streaming the step and storing the run', async () => {
    const { me, agent } = await newUserWithAgent({ tools: ['calculator'] });
    ctx().fake.script(...callThenAnswer('calculator', { input: '12.5% * 1840' }, 'call_calc'));
    const before = ctx().fake.requests.length;
    const started = await chat(me, agent.id);
    const sse = await stream(me, started.streamId);

    expect(frameKinds(sse.frames)).toEqual([
      'created',
      'run_step:message_creation',
      'run_step:tool_calls',
      'on_run_step_delta',
      'on_run_step_delta',
      'on_run_step_completed',
      'run_step:message_creation',
      'on_message_delta',
      'on_message_delta',
      'final',
    ]);
    expect(toolResults(sse.frames)).toEqual([
      { id: 'call_calc', name: 'calculator', args: '{"input":"12.5% * 1840"}', output: '230' },
    ]);
    const requests = ctx().fake.requests.slice(before);
    expect(requests).toHaveLength(2);
    expect((requests[0].body!.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual([
      'calculator',
    ]);
    expect(requests[1].body!.messages).toEqual(
      expect.arrayContaining([{ role: 'tool', tool_call_id: 'call_calc', content: '230' }]),
    );
    const content = [
      {
        type: 'tool_call',
        tool_call: { id: 'call_calc', name: 'calculator', args: '{"input":"12.5% * 1840"}', output: '230' },
      },
      { type: 'text', text: 'Result: 230' },
    ];
    expect(finalOf(sse.frames).responseMessage).toMatchObject({ text: 'Result: 230', content });
    const stored = (await http().get(`/api/messages/${started.conversationId}`).set(me.auth).expect(200)).body;
    expect(stored[1]).toMatchObject({ text: 'Result: 230', content, unfinished: false, error: false });

    // A follow-up carries the earlier call and its result back to the model.
    ctx().fake.script({ tokens: ['Yes.'] });
    const next = await chat(me, agent.id, 'Sure?', {
      conversationId: started.conversationId,
      parentMessageId: started.responseMessageId,
    });
    await stream(me, next.streamId);
    const followUp = ctx().fake.requests[ctx().fake.requests.length - 1].body!.messages as Record<string, unknown>[];
    expect(followUp.slice(-4)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_calc',
            type: 'function',
            function: { name: 'calculator', arguments: '{"input":"12.5% * 1840"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_calc', content: '230' },
      { role: 'assistant', content: 'Result: 230' },
      { role: 'user', content: 'Sure?' },
    ]);
  });

  it('searches the web: numbered sources for the model, citations for the user, stored and replayed', async () => {
    ctx().search.script({
      results: [
        { title: 'Leave policy 2026', url: 'https://intranet.example/leave', snippet: 'Employees get 30 days.' },
        { title: 'Holidays', url: 'https://intranet.example/holidays', snippet: 'Public holidays are extra.' },
      ],
    });
    const { me, agent } = await newUserWithAgent({ tools: ['web_search'] });
    ctx().fake.script(...callThenAnswer('web_search', { query: 'leave policy' }, 'call_web'));
    const started = await chat(me, agent.id, 'How many leave days?');
    const live = await stream(me, started.streamId);
    const output = toolResults(live.frames)[0].output;
    expect(output).toContain('[1] Leave policy 2026');
    expect(output).toContain('https://intranet.example/holidays');
    const attachments = live.frames.filter((f) => f.data.event === 'attachment').map((f) => f.data.data as unknown);
    expect(attachments).toEqual([
      expect.objectContaining({
        type: 'citations',
        toolCallId: 'call_web',
        messageId: started.responseMessageId,
        conversationId: started.conversationId,
        citations: [
          expect.objectContaining({ index: 1, title: 'Leave policy 2026', url: 'https://intranet.example/leave' }),
          expect.objectContaining({ index: 2, url: 'https://intranet.example/holidays' }),
        ],
      }),
    ]);
    expect(ctx().search.requests[ctx().search.requests.length - 1]).toMatchObject({ method: 'GET' });
    const stored = (await http().get(`/api/messages/${started.conversationId}`).set(me.auth).expect(200)).body;
    expect(stored[1].attachments).toEqual(attachments);
    // A replay of the finished stream shows the same frames.
    const replay = await stream(me, started.streamId);
    expect(replay.frames.map((f): unknown => f.data)).toEqual(live.frames.map((f): unknown => f.data));
  });

  it('calls MCP tools over stdio and over streamable HTTP', async () => {
    const { me, agent } = await newUserWithAgent({ tools: ['add_mcp_local', 'sys__all__sys_mcp_remote'] });
    ctx().fake.script(
      {
        toolCalls: [
          { id: 'call_local', name: 'add_mcp_local', arguments: '{"a":2,"b":3}' },
          { id: 'call_remote', name: 'add_mcp_remote', arguments: '{"a":40,"b":2}' },
        ],
      },
      { tokens: ['5 and 42'] },
    );
    const before = ctx().fake.requests.length;
    const started = await chat(me, agent.id, 'Add them');
    const sse = await stream(me, started.streamId);
    const offered = (ctx().fake.requests[before].body!.tools as { function: { name: string } }[]).map(
      (t) => t.function.name,
    );
    expect(offered).toContain('add_mcp_local');
    expect(offered).toContain('echo_mcp_remote'); // the whole remote server was enabled
    expect(offered).not.toContain('echo_mcp_local');
    const outputs = Object.fromEntries(toolResults(sse.frames).map((r) => [r.id, r.output]));
    expect(outputs).toEqual({ call_local: '5', call_remote: '42' });
    expect(finalOf(sse.frames).responseMessage.text).toBe('5 and 42');
  });

  it('turns tool failures into error results and goes on: a tool that throws, one that hangs, a server that went down', async () => {
    const { me, agent } = await newUserWithAgent({ tools: ['fail_mcp_local', 'slow_mcp_local', 'add_mcp_flaky'] });
    // The flaky server is listed while it is up, then stops answering.
    await http().get('/api/agents/tools').set(me.auth).expect(200);
    ctx().fake.script({ tokens: ['warm'] });
    await stream(me, (await chat(me, agent.id, 'warm up')).streamId);
    await ctx().stopFlakyMcp();

    ctx().fake.script(
      {
        toolCalls: [
          { id: 'call_fail', name: 'fail_mcp_local', arguments: '{}' },
          { id: 'call_slow', name: 'slow_mcp_local', arguments: '{"ms":10000}' },
          { id: 'call_flaky', name: 'add_mcp_flaky', arguments: '{"a":1,"b":1}' },
        ],
      },
      { tokens: ['Some tools failed.'] },
    );
    const startedAt = Date.now();
    const started = await chat(me, agent.id, 'Try them');
    const sse = await stream(me, started.streamId);
    expect(Date.now() - startedAt).toBeLessThan(9_000);
    const outputs = Object.fromEntries(toolResults(sse.frames).map((r) => [r.id, r.output]));
    expect(outputs.call_fail).toMatch(/^Error: /);
    expect(outputs.call_slow).toMatch(/^Error: .*4 s/);
    expect(outputs.call_flaky).toMatch(/^Error: .*flaky/);
    expect(finalOf(sse.frames)).toMatchObject({
      final: true,
      responseMessage: { text: 'Some tools failed.', error: false },
    });
  });

  it('aborts during a tool call within a second, storing the partial run', async () => {
    const { me, agent } = await newUserWithAgent({ tools: ['slow_mcp_local'] });
    ctx().fake.script({
      tokens: ['Waiting. '],
      toolCalls: [{ id: 'call_wait', name: 'slow_mcp_local', arguments: '{"ms":20000}' }],
    });
    const started = await chat(me, agent.id, 'Wait');
    let abortedAt = 0;
    const sse = await readSse(`${ctx().api}/api/agents/chat/stream/${started.streamId}`, me.auth, {
      timeoutMs: 20_000,
      onFrame: (frame) => {
        if (frame.data.event === 'on_run_step_delta' && !abortedAt) {
          abortedAt = Date.now();
          void http()
            .post('/api/agents/chat/abort')
            .set(me.auth)
            .send({ streamId: started.streamId })
            .expect(200)
            .then();
        }
      },
    });
    const final = finalOf(sse.frames);
    expect(Date.now() - abortedAt).toBeLessThan(2_000);
    expect(final).toMatchObject({ final: true, aborted: true, responseMessage: { unfinished: true } });
    const stored = (await http().get(`/api/messages/${started.conversationId}`).set(me.auth).expect(200)).body;
    expect(stored[1].content).toEqual([
      { type: 'text', text: 'Waiting. ' },
      {
        type: 'tool_call',
        tool_call: {
          id: 'call_wait',
          name: 'slow_mcp_local',
          args: '{"ms":20000}',
          output: 'Error: the call was cancelled',
        },
      },
    ]);
  });

  it("stops at the agent's recursion_limit with a note, not an error", async () => {
    const { me, agent } = await newUserWithAgent({ tools: ['calculator'], recursion_limit: 2 });
    const again: FakeScript = { toolCalls: [{ name: 'calculator', arguments: '{"input":"1+1"}' }] };
    ctx().fake.script(again, again); // the limit leaves no third call
    const before = ctx().fake.requests.length;
    const started = await chat(me, agent.id, 'Loop');
    const sse = await stream(me, started.streamId);
    expect(ctx().fake.requests.length - before).toBe(2);
    const final = finalOf(sse.frames);
    expect(final).toMatchObject({ final: true, responseMessage: { error: false, unfinished: false } });
    expect(final.responseMessage.text).toContain("the agent's limit of 2 steps");
  });

  it('resumes in the middle of a tool step, with Last-Event-ID and with resume=true', async () => {
    const { me, agent } = await newUserWithAgent({ tools: ['slow_mcp_local'] });
    ctx().fake.script(
      { toolCalls: [{ id: 'call_mid', name: 'slow_mcp_local', arguments: '{"ms":1000}', argumentChunks: 3 }] },
      { tokens: ['Done', ' waiting'] },
    );
    const started = await chat(me, agent.id, 'Wait a second');
    // Leave after the tool step's first argument delta.
    const first = await readSse(`${ctx().api}/api/agents/chat/stream/${started.streamId}`, me.auth, { stopAfter: 4 });
    expect(frameKinds(first.frames).slice(2)).toEqual(['run_step:tool_calls', 'on_run_step_delta']);

    const snapshot = await readSse(`${ctx().api}/api/agents/chat/stream/${started.streamId}?resume=true`, me.auth, {
      stopAfter: 1,
    });
    const state = snapshot.frames[0].data.resumeState as { runSteps: { type: string }[]; aggregatedContent: unknown[] };
    expect(state.runSteps.map((s) => s.type)).toEqual(expect.arrayContaining(['message_creation', 'tool_calls']));
    expect(state.aggregatedContent[0]).toMatchObject({
      type: 'tool_call',
      tool_call: { id: 'call_mid', name: 'slow_mcp_local' },
    });

    const rest = await stream(me, started.streamId, { 'Last-Event-ID': first.frames[3].id! });
    const all = [...first.frames, ...rest.frames];
    expect(new Set(all.map((f) => f.id)).size).toBe(all.length); // every event exactly once
    expect(frameKinds(all)).toEqual([
      'created',
      'run_step:message_creation',
      'run_step:tool_calls',
      'on_run_step_delta',
      'on_run_step_delta',
      'on_run_step_delta',
      'on_run_step_completed',
      'run_step:message_creation',
      'on_message_delta',
      'on_message_delta',
      'final',
    ]);
    expect(toolResults(all)[0]).toMatchObject({ id: 'call_mid', args: '{"ms":1000}', output: 'done after 1000 ms' });
  });

  it('runs tools server-side for the OpenAI-compatible APIs: completions stream only the answer, Responses show mcp_call items', async () => {
    const { me, agent } = await newUserWithAgent({ tools: ['add_mcp_local', 'calculator'] });
    const client = new OpenAI({ apiKey: me.token, baseURL: `${ctx().api}/api/agents/v1`, maxRetries: 0 });

    ctx().fake.script(...callThenAnswer('add_mcp_local', { a: 2, b: 2 }, 'call_compl'));
    const chunks = [];
    for await (const chunk of await client.chat.completions.create({
      model: agent.id,
      messages: [{ role: 'user', content: '2+2?' }],
      stream: true,
    })) {
      chunks.push(chunk);
    }
    expect(chunks.some((c) => c.choices[0]?.delta?.tool_calls)).toBe(false);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Result: 4');
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);

    ctx().fake.script(...callThenAnswer('add_mcp_local', { a: 3, b: 4 }, 'call_resp'));
    const response = await client.responses.create({ model: agent.id, input: '3+4?' });
    expectSchema('Response', response);
    expect(response.output_text).toBe('Result: 7');
    const call = response.output.find((item) => item.type === 'mcp_call');
    expect(call).toMatchObject({
      type: 'mcp_call',
      server_label: 'local',
      name: 'add',
      arguments: '{"a":3,"b":4}',
      output: '7',
    });
    expect(response.output.some((item) => item.type === 'function_call')).toBe(false);

    // Streamed, with the calculator (a built-in: labelled "agents") and a web search; every event valid.
    ctx().search.script({ results: [{ title: 'Doc', url: 'https://docs.example/a', snippet: 'A doc.' }] });
    const searcher = await createAgent(http(), me, { tools: ['calculator', 'web_search'] });
    ctx().fake.script(
      {
        toolCalls: [
          { id: 'call_sum', name: 'calculator', arguments: '{"input":"6*7"}' },
          { id: 'call_find', name: 'web_search', arguments: '{"query":"docs"}' },
        ],
      },
      { tokens: ['42, see [1].'] },
    );
    const events = [];
    for await (const event of await client.responses.create({
      model: searcher.id,
      input: 'Sum and search',
      stream: true,
    })) {
      expectResponseEvent(event);
      events.push(event);
    }
    const completed = events.find((e) => e.type === 'response.completed');
    expect(completed?.type === 'response.completed' && completed.response.output.map((item) => item.type)).toEqual([
      'mcp_call',
      'web_search_call',
      'message',
    ]);
    const output = completed?.type === 'response.completed' ? completed.response.output : [];
    expect(output[0]).toMatchObject({ server_label: 'agents', name: 'calculator', output: '42' });
    expect(output[1]).toMatchObject({
      status: 'completed',
      action: { type: 'search', query: 'docs', sources: [{ type: 'url', url: 'https://docs.example/a' }] },
    });
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['response.mcp_call.completed', 'response.web_search_call.completed']),
    );
  });
}
