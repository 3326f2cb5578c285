import type { CompletionResult } from '@agents/chat';
import { ChatCompletionChunks } from './chat-completion-chunks';
import { readGenerationEvent } from './generation-events';

const identity = { id: 'chatcmpl-abc', created: 1_764_000_000, model: 'agent_x' };
const result = (overrides: Partial<CompletionResult> = {}): CompletionResult => ({
  status: 'completed',
  text: 'Hello',
  finishReason: 'stop',
  usage: { promptTokens: 4, completionTokens: 2 },
  model: 'gpt-4o',
  ...overrides,
});
const textEvent = (text: string) => ({
  event: 'on_message_delta',
  data: { id: 'step_1', delta: { content: [{ type: 'text', text }] } },
});
const toolEvent = (stepId: string, call: Record<string, unknown>) => ({
  event: 'on_run_step_delta',
  data: { id: stepId, delta: { type: 'tool_calls', tool_calls: [call] } },
});

function feed(chunks: ChatCompletionChunks, payloads: unknown[]) {
  return payloads.flatMap((payload) => readGenerationEvent(payload).flatMap((event) => chunks.chunksFor(event)));
}

describe('ChatCompletionChunks', () => {
  it('maps text deltas to content chunks that share id, created and model, after a role chunk', () => {
    const chunks = new ChatCompletionChunks(identity);
    const out = [
      chunks.roleChunk(),
      ...feed(chunks, [textEvent('Hel'), textEvent('lo')]),
      chunks.finishChunk(result()),
    ];
    expect(out.map((c) => c.choices[0].delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hel' },
      { content: 'lo' },
      {},
    ]);
    expect(out.map((c) => c.choices[0].finish_reason)).toEqual([null, null, null, 'stop']);
    for (const chunk of out) {
      expect(chunk).toMatchObject({
        id: 'chatcmpl-abc',
        created: 1_764_000_000,
        model: 'agent_x',
        object: 'chat.completion.chunk',
      });
      expect('usage' in chunk).toBe(false);
    }
  });

  it('sends usage: null on every chunk and one usage chunk with no choices when usage is asked for', () => {
    const chunks = new ChatCompletionChunks(identity, true);
    expect(feed(chunks, [textEvent('a')])[0].usage).toBeNull();
    expect(chunks.usageChunk(result())).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion.chunk',
      created: 1_764_000_000,
      model: 'agent_x',
      choices: [],
      usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
    });
  });

  it('maps server-side tool calls to indexed tool_calls deltas whose arguments concatenate to JSON', () => {
    const chunks = new ChatCompletionChunks(identity);
    const out = feed(chunks, [
      toolEvent('step_a', { id: 'call_1', name: 'calculator', args: '{"expr' }),
      toolEvent('step_a', { args: 'ession": "6*7"}' }),
      toolEvent('step_b', { id: 'call_2', name: 'web_search', args: '' }),
      toolEvent('step_b', { id: 'call_2', args: '{"q": "x"}' }),
    ]);
    const deltas = out.map((c) => c.choices[0].delta.tool_calls![0]);
    expect(deltas[0]).toEqual({
      index: 0,
      id: 'call_1',
      type: 'function',
      function: { name: 'calculator', arguments: '{"expr' },
    });
    expect(deltas[1]).toEqual({ index: 0, function: { arguments: 'ession": "6*7"}' } });
    expect(deltas[2]).toMatchObject({ index: 1, id: 'call_2', type: 'function', function: { name: 'web_search' } });
    expect(deltas[3]).toEqual({ index: 1, function: { arguments: '{"q": "x"}' } });
    const args = (index: number) =>
      deltas
        .filter((d) => d.index === index)
        .map((d) => d.function?.arguments ?? '')
        .join('');
    expect(JSON.parse(args(0))).toEqual({ expression: '6*7' });
    expect(JSON.parse(args(1))).toEqual({ q: 'x' });
    expect(chunks.completion(result()).choices[0].message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'calculator', arguments: '{"expression": "6*7"}' } },
      { id: 'call_2', type: 'function', function: { name: 'web_search', arguments: '{"q": "x"}' } },
    ]);
  });

  it('builds one chat.completion with the text, the finish reason and usage', () => {
    const chunks = new ChatCompletionChunks(identity);
    feed(chunks, [textEvent('Hel'), textEvent('lo'), { event: 'on_reasoning_delta', data: {} }]);
    expect(chunks.completion(result({ finishReason: 'length', usage: null }))).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      created: 1_764_000_000,
      model: 'agent_x',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello', refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'length',
        },
      ],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
  });

  it("reads a vendor's unknown finish reason as stop", () => {
    expect(
      new ChatCompletionChunks(identity).finishChunk(result({ finishReason: 'other' })).choices[0].finish_reason,
    ).toBe('stop');
  });
});

describe('readGenerationEvent', () => {
  it('reads terminal events with their completion result, and an error without one', () => {
    const completion = result();
    expect(readGenerationEvent({ final: true, completion })).toEqual([{ type: 'final', result: completion }]);
    expect(readGenerationEvent({ error: 'boom', completion })).toEqual([
      { type: 'error', message: 'boom', result: completion },
    ]);
    expect(readGenerationEvent({ error: 'crashed' })).toEqual([
      { type: 'error', message: 'crashed', result: undefined },
    ]);
    expect(readGenerationEvent({ final: true })[0].type).toBe('error');
    expect(readGenerationEvent({ event: 'on_run_step', data: {} })).toEqual([{ type: 'other' }]);
  });
});
