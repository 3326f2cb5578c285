import {
  ContentFold,
  readStreamEvent,
  streamEvents,
  type CompletionResult,
  type MessageAttachment,
  type StreamEventPayload,
} from '@agents/chat';
import { expectResponseEvent, expectSchema } from '@agents/testing/openai-schemas';
import type { ResponseOutputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { ChatCompletionChunks } from './chat-completion-chunks';
import { historyOfAnswer } from './conversation-history';
import { readGenerationEvent, type GenerationEvent } from './generation-events';
import { conversationFrom, responseInputFrom } from './request-mapping';
import { ResponseEvents, ResponseFold, type ResponseObject, type ResponseSettings } from './response-events';

/*
 * An agent's run with server-side tools, as the worker publishes it, through both OpenAI shapes:
 * chat completions must show only the answer's text, the Responses API OpenAI's hosted-tool items.
 */

const MESSAGE_ID = 'answer-1';

/** The citations a web search hands over beside its result. */
function citations(toolCallId: string, urls: string[]): MessageAttachment {
  return {
    type: 'citations',
    toolCallId,
    messageId: MESSAGE_ID,
    conversationId: null,
    query: 'agents api',
    citations: urls.map((url, i) => ({ index: i + 1, title: `Source ${i + 1}`, url })),
  };
}

/**
 * One run: text, then a model step that calls a web search, the calculator and an MCP tool (their
 * arguments streamed in fragments), whose results come back out of order (the MCP call failing),
 * the search's citations, then the model's next step with reasoning and the answer.
 */
function toolRun(): StreamEventPayload[] {
  return [
    streamEvents.runStep('s_text1', MESSAGE_ID, 0),
    streamEvents.messageDelta('s_text1', 'Let me look '),
    streamEvents.messageDelta('s_text1', 'that up.'),
    streamEvents.toolStep('s_ws', 1, { id: 'call_ws', name: 'web_search' }),
    streamEvents.toolCallDelta('s_ws', [{ id: 'call_ws', name: 'web_search', args: '{"query":' }]),
    streamEvents.toolCallDelta('s_ws', [{ args: ' "agents api"}' }]),
    streamEvents.toolStep('s_calc', 2, { id: 'call_calc', name: 'calculator' }),
    streamEvents.toolCallDelta('s_calc', [{ id: 'call_calc', name: 'calculator', args: '{"expression": "6*7"}' }]),
    streamEvents.toolStep('s_mcp', 3, { id: 'call_mcp', name: 'read_file_mcp_files' }),
    streamEvents.toolCallDelta('s_mcp', [{ id: 'call_mcp', name: 'read_file_mcp_files', args: '{"path":' }]),
    streamEvents.toolCallDelta('s_mcp', [{ args: ' "/etc/motd"}' }]),
    streamEvents.toolResult('s_calc', 2, {
      id: 'call_calc',
      name: 'calculator',
      args: '{"expression": "6*7"}',
      output: '42',
    }),
    streamEvents.toolResult('s_mcp', 3, {
      id: 'call_mcp',
      name: 'read_file_mcp_files',
      args: '{"path": "/etc/motd"}',
      output: 'Error: no such file',
    }),
    streamEvents.toolResult('s_ws', 1, {
      id: 'call_ws',
      name: 'web_search',
      args: '{"query": "agents api"}',
      output: '[1] Source 1 — https://example.com/docs\n[2] Source 2 — https://example.com/a|b',
    }),
    // A URL as a search engine may hand it over: `|` is not allowed in an RFC 3986 URI.
    streamEvents.attachment(citations('call_ws', ['https://example.com/docs', 'https://example.com/a|b'])),
    streamEvents.runStep('s_text2', MESSAGE_ID, 4),
    streamEvents.reasoningDelta('s_text2', 'The docs answer it.'),
    streamEvents.messageDelta('s_text2', 'It is 42 [1].'),
  ];
}

/** The payloads after a JSON round trip (they cross the bus as JSON), read as the routes read them. */
function read(payloads: StreamEventPayload[]): GenerationEvent[] {
  return payloads.map((p) => readGenerationEvent(JSON.parse(JSON.stringify(p))) as GenerationEvent);
}

/** The terminal result the worker publishes after `payloads`: it folds them with the same ContentFold. */
function resultOf(payloads: StreamEventPayload[], overrides: Partial<CompletionResult> = {}): CompletionResult {
  const fold = new ContentFold();
  for (const payload of payloads) {
    const event = readStreamEvent(payload);
    if (event) fold.apply(event);
  }
  return {
    status: 'completed',
    text: fold.text,
    content: fold.content,
    attachments: fold.attachments,
    // The provider's reason for the last model step; a run may end on a tool step.
    finishReason: 'tool_calls',
    usage: { promptTokens: 30, completionTokens: 12 },
    model: 'gpt-4o',
    ...overrides,
  };
}

const settings = (streamed: boolean): ResponseSettings => ({
  id: 'resp_k1',
  createdAt: 1_764_000_000,
  model: 'agent_x',
  itemKey: 'k1',
  streamed,
  instructions: null,
  previousResponseId: null,
  temperature: null,
  topP: null,
  maxOutputTokens: null,
  store: true,
  echo: {
    metadata: {},
    parallel_tool_calls: true,
    tool_choice: 'auto',
    truncation: 'auto',
    text: { format: { type: 'text' } },
  },
});

/** Every event a streamed response is, from the first to the terminal one. */
function streamed(events: GenerationEvent[]): ResponseStreamEvent[] {
  const fold = new ResponseFold(new ResponseEvents(settings(true)));
  return events.flatMap((event) => {
    const step = fold.next(event);
    return step.type === 'none' ? [] : step.events;
  });
}

/** The response a non-streaming request is answered with. */
function nonStreamed(events: GenerationEvent[]): ResponseObject {
  const fold = new ResponseFold(new ResponseEvents(settings(false)));
  for (const event of events) {
    const step = fold.next(event);
    if (step.type === 'end') return step.response;
  }
  throw new Error('no end');
}

const terminal = (events: ResponseStreamEvent[]): ResponseObject => {
  const last = events.at(-1);
  if (!last || !('response' in last)) throw new Error('no terminal event');
  return last.response as ResponseObject;
};

const statusOf = (item: ResponseOutputItem): string | null | undefined => ('status' in item ? item.status : undefined);

/** `[type, output_index]` of each event that names an item. */
const itemEvents = (events: ResponseStreamEvent[]): [string, number][] =>
  events.filter((e) => 'output_index' in e).map((e) => [e.type, (e as { output_index: number }).output_index]);

describe('a run with server-side tools', () => {
  const payloads = toolRun();
  const result = resultOf(payloads);
  const events = [...read(payloads), { type: 'final', result } as const];

  describe('as chat completion chunks', () => {
    const chunksOf = (includeUsage: boolean) => {
      const chunks = new ChatCompletionChunks(
        { id: 'chatcmpl-1', created: 1_764_000_000, model: 'agent_x' },
        includeUsage,
      );
      const out = [chunks.roleChunk()];
      for (const event of events) {
        if (event.type === 'answer') out.push(...chunks.chunksFor(event.payload));
        else if (event.type === 'final') out.push(chunks.finishChunk(event.result), chunks.usageChunk(event.result));
      }
      return { out, completion: chunks.completion(result) };
    };

    it('streams the text of every model step and nothing of the tools, ending with stop', () => {
      const { out } = chunksOf(true);
      expect(out.flatMap((c) => c.choices.map((choice) => choice.delta))).toEqual([
        { role: 'assistant', content: '' },
        { content: 'Let me look ' },
        { content: 'that up.' },
        { content: 'It is 42 [1].' },
        {},
      ]);
      for (const chunk of out) {
        for (const choice of chunk.choices) expect(choice.delta.tool_calls).toBeUndefined();
        expectSchema('CreateChatCompletionStreamResponse', chunk);
      }
      expect(out.at(-2)?.choices[0].finish_reason).toBe('stop');
    });

    it('answers one message with the concatenated text, no tool_calls, and stop', () => {
      const { completion } = chunksOf(false);
      expect(completion.choices).toEqual([
        {
          index: 0,
          message: { role: 'assistant', content: 'Let me look that up.It is 42 [1].', refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ]);
      expectSchema('CreateChatCompletionResponse', completion);
    });
  });

  describe('as a streamed response', () => {
    const out = streamed(events);

    it('sends each item’s events in order, numbered from 0, every one valid against OpenAI’s schema', () => {
      expect(out.map((e) => e.sequence_number)).toEqual(out.map((_, i) => i));
      for (const event of out) expectResponseEvent(event);
      expect(out.slice(0, 2).map((e) => e.type)).toEqual(['response.created', 'response.in_progress']);
      expect(itemEvents(out)).toEqual([
        ['response.output_item.added', 0],
        ['response.content_part.added', 0],
        ['response.output_text.delta', 0],
        ['response.output_text.delta', 0],
        // The model turns to its tools: the first message is complete.
        ['response.output_text.done', 0],
        ['response.content_part.done', 0],
        ['response.output_item.done', 0],
        ['response.output_item.added', 1],
        ['response.web_search_call.in_progress', 1],
        ['response.web_search_call.searching', 1],
        ['response.output_item.added', 2],
        ['response.mcp_call.in_progress', 2],
        ['response.mcp_call_arguments.delta', 2],
        ['response.mcp_call_arguments.done', 2],
        ['response.output_item.added', 3],
        ['response.mcp_call.in_progress', 3],
        ['response.mcp_call_arguments.delta', 3],
        ['response.mcp_call_arguments.delta', 3],
        ['response.mcp_call_arguments.done', 3],
        // Results out of order: each names its own item.
        ['response.mcp_call.completed', 2],
        ['response.output_item.done', 2],
        ['response.mcp_call.failed', 3],
        ['response.output_item.done', 3],
        // The search ends once the model moves on, its citations in.
        ['response.web_search_call.completed', 1],
        ['response.output_item.done', 1],
        ['response.output_item.added', 4],
        ['response.content_part.added', 4],
        ['response.output_text.delta', 4],
        ['response.output_text.done', 4],
        ['response.content_part.done', 4],
        ['response.output_item.done', 4],
      ]);
      expect(out.at(-1)?.type).toBe('response.completed');
    });

    it('ends with the items OpenAI’s hosted tools have, never a function_call', () => {
      const response = terminal(out);
      expectSchema('Response', response);
      const expected: ResponseOutputItem[] = [
        {
          id: 'msg_k1',
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Let me look that up.', annotations: [], logprobs: [] }],
        },
        {
          id: 'ws_k1_1',
          type: 'web_search_call',
          status: 'completed',
          action: {
            type: 'search',
            query: 'agents api',
            queries: ['agents api'],
            sources: [
              { type: 'url', url: 'https://example.com/docs' },
              { type: 'url', url: 'https://example.com/a%7Cb' },
            ],
          },
        },
        {
          id: 'mcp_k1_2',
          type: 'mcp_call',
          server_label: 'agents',
          name: 'calculator',
          arguments: '{"expression": "6*7"}',
          output: '42',
          error: null,
          status: 'completed',
        },
        {
          id: 'mcp_k1_3',
          type: 'mcp_call',
          server_label: 'files',
          name: 'read_file',
          arguments: '{"path": "/etc/motd"}',
          output: 'Error: no such file',
          error: null,
          status: 'failed',
        },
        {
          id: 'msg_k1_4',
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'It is 42 [1].', annotations: [], logprobs: [] }],
        },
      ];
      expect(response).toMatchObject({ status: 'completed', output_text: 'Let me look that up.It is 42 [1].' });
      expect(response.output).toEqual(expected);
    });

    it('announces and finishes each item with what the final response holds at its output_index', () => {
      const output = terminal(out).output;
      // Items finish in their own order (the calls' results came out of order): each done once, at its index.
      const done = out.filter((e) => e.type === 'response.output_item.done');
      expect(done.map((e) => e.output_index)).toEqual([0, 2, 3, 1, 4]);
      for (const event of done) expect(event.item).toEqual(output[event.output_index]);
      for (const event of out.filter((e) => e.type === 'response.output_item.added')) {
        expect(event.item).toMatchObject({ id: output[event.output_index].id, type: output[event.output_index].type });
        expect(statusOf(event.item)).toBe('in_progress');
      }
      for (const event of out) {
        if ('item_id' in event) expect(event.item_id).toBe(output[(event as { output_index: number }).output_index].id);
      }
      const argumentsDone = out.filter((e) => e.type === 'response.mcp_call_arguments.done');
      expect(argumentsDone.map((e) => e.arguments)).toEqual(['{"expression": "6*7"}', '{"path": "/etc/motd"}']);
      const deltas = out.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta);
      expect(deltas.join('')).toBe(terminal(out).output_text);
    });
  });

  it('answers a non-streamed request with the response the stream ends with, built from the result’s content', () => {
    const response = nonStreamed(events);
    expectSchema('Response', response);
    expect(response).toEqual(terminal(streamed(events)));
    // Without the events, from the result alone: the same.
    expect(nonStreamed([{ type: 'final', result }])).toEqual(response);
  });

  it('stores the answer as the model made it, and takes its returned items back the same way', () => {
    expect(historyOfAnswer(result.content ?? [])).toEqual([
      {
        role: 'assistant',
        content: 'Let me look that up.',
        toolCalls: [
          { id: 'call_ws', name: 'web_search', arguments: '{"query": "agents api"}' },
          { id: 'call_calc', name: 'calculator', arguments: '{"expression": "6*7"}' },
          { id: 'call_mcp', name: 'read_file_mcp_files', arguments: '{"path": "/etc/motd"}' },
        ],
      },
      { role: 'tool', toolCallId: 'call_ws', content: expect.stringContaining('[1] Source 1') as string },
      { role: 'tool', toolCallId: 'call_calc', content: '42' },
      { role: 'tool', toolCallId: 'call_mcp', content: 'Error: no such file' },
      { role: 'assistant', content: 'It is 42 [1].' },
    ]);
    // The client sends the output back: the search (its results are not in the item) is left out.
    const output = JSON.parse(JSON.stringify(nonStreamed(events).output)) as Record<string, unknown>[];
    const { messages } = conversationFrom(responseInputFrom([{ role: 'user', content: 'Q' }, ...output]), new Map());
    expect(messages).toEqual([
      { role: 'user', content: 'Q' },
      {
        role: 'assistant',
        content: 'Let me look that up.',
        toolCalls: [
          { id: 'mcp_k1_2', name: 'calculator', arguments: '{"expression": "6*7"}' },
          { id: 'mcp_k1_3', name: 'read_file_mcp_files', arguments: '{"path": "/etc/motd"}' },
        ],
      },
      { role: 'tool', toolCallId: 'mcp_k1_2', content: '42' },
      { role: 'tool', toolCallId: 'mcp_k1_3', content: 'Error: no such file' },
      { role: 'assistant', content: 'It is 42 [1].' },
    ]);
  });
});

describe('a run with server-side tools that ends early', () => {
  it('ends calls that got no result as unfinished, and a cut answer as incomplete', () => {
    const payloads = [
      streamEvents.toolStep('s_ws', 0, { id: 'call_ws', name: 'web_search' }),
      streamEvents.toolStep('s_calc', 1, { id: 'call_calc', name: 'calculator' }),
      streamEvents.toolCallDelta('s_calc', [{ id: 'call_calc', name: 'calculator', args: '{"expr' }]),
    ];
    const result = resultOf(payloads, { finishReason: 'length', text: '' });
    const events = [...read(payloads), { type: 'final', result } as const];
    const out = streamed(events);
    for (const event of out) expectResponseEvent(event);
    expect(out.map((e) => e.sequence_number)).toEqual(out.map((_, i) => i));
    expect(itemEvents(out).slice(-8)).toEqual([
      ['response.mcp_call_arguments.delta', 1],
      ['response.output_item.done', 0],
      ['response.output_item.done', 1],
      // No text at all: the (empty) message a response always had.
      ['response.output_item.added', 2],
      ['response.content_part.added', 2],
      ['response.output_text.done', 2],
      ['response.content_part.done', 2],
      ['response.output_item.done', 2],
    ]);
    const response = terminal(out);
    expect(out.at(-1)?.type).toBe('response.incomplete');
    expectSchema('Response', response);
    expect(response.output.map((item) => [item.type, statusOf(item)])).toEqual([
      ['web_search_call', 'failed'],
      ['mcp_call', 'incomplete'],
      ['message', 'incomplete'],
    ]);
    expect(nonStreamed(events)).toEqual(response);
  });

  it('fails with the items as far as they got, streamed or not', () => {
    const payloads = [
      streamEvents.messageDelta('s1', 'Checking.'),
      streamEvents.toolStep('s_mcp', 1, { id: 'call_mcp', name: 'search_mcp_docs' }),
      streamEvents.toolCallDelta('s_mcp', [{ args: '{}' }]),
      streamEvents.toolResult('s_mcp', 1, { id: 'call_mcp', name: 'search_mcp_docs', args: '{}', output: 'found' }),
      streamEvents.messageDelta('s2', 'The ans'),
    ];
    const failed = resultOf(payloads, { status: 'failed', finishReason: null, failure: { kind: 'unavailable' } });
    const events = [
      ...read(payloads),
      { type: 'error', message: 'The provider is unavailable', result: failed } as const,
    ];
    const out = streamed(events);
    for (const event of out) expectResponseEvent(event);
    expect(out.at(-1)?.type).toBe('response.failed');
    const response = terminal(out);
    expectSchema('Response', response);
    expect(response.output).toEqual([
      expect.objectContaining({ id: 'msg_k1', status: 'completed' }),
      expect.objectContaining({ id: 'mcp_k1_1', server_label: 'docs', name: 'search', status: 'completed' }),
      expect.objectContaining({
        id: 'msg_k1_2',
        status: 'incomplete',
        content: [expect.objectContaining({ text: 'The ans' })],
      }),
    ]);
    expect(nonStreamed(events)).toEqual(response);
  });

  it('shows a result whose step was never announced (a log older than tool steps) as its own item', () => {
    const payloads = [
      streamEvents.messageDelta('s1', 'A'),
      streamEvents.toolResult('s_old', 1, {
        id: 'call_1',
        name: 'calculator',
        args: '{"expression":"1+1"}',
        output: '2',
      }),
      streamEvents.messageDelta('s2', 'B'),
    ];
    const result = resultOf(payloads, { finishReason: 'stop' });
    const events = [...read(payloads), { type: 'final', result } as const];
    const out = streamed(events);
    for (const event of out) expectResponseEvent(event);
    expect(terminal(out).output.map((item) => [item.id, statusOf(item)])).toEqual([
      ['msg_k1', 'completed'],
      ['mcp_k1_1', 'completed'],
      ['msg_k1_2', 'completed'],
    ]);
    expect(itemEvents(out).filter(([, index]) => index === 1)).toEqual([
      ['response.output_item.added', 1],
      ['response.mcp_call.in_progress', 1],
      ['response.mcp_call_arguments.done', 1],
      ['response.mcp_call.completed', 1],
      ['response.output_item.done', 1],
    ]);
    expect(nonStreamed(events)).toEqual(terminal(out));
  });
});
