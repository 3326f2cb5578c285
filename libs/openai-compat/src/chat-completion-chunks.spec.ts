import { streamEvents, type CompletionResult } from '@agents/chat';
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
const textEvent = (text: string) => streamEvents.messageDelta('step_1', text);

function feed(chunks: ChatCompletionChunks, payloads: unknown[]) {
  return payloads.flatMap((payload) => {
    const event = readGenerationEvent(payload);
    return event?.type === 'answer' ? chunks.chunksFor(event.payload) : [];
  });
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
    const detailed = result({ usage: { promptTokens: 4, completionTokens: 2, reasoningTokens: 1, cachedTokens: 3 } });
    expect(chunks.usageChunk(detailed)).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion.chunk',
      created: 1_764_000_000,
      model: 'agent_x',
      choices: [],
      usage: {
        prompt_tokens: 4,
        completion_tokens: 2,
        total_tokens: 6,
        prompt_tokens_details: { cached_tokens: 3 },
        completion_tokens_details: { reasoning_tokens: 1 },
      },
    });
  });

  it('makes no chunk of a server-side tool step, its arguments, result or attachments', () => {
    const chunks = new ChatCompletionChunks(identity);
    const call = { id: 'call_1', name: 'calculator' };
    expect(
      feed(chunks, [
        streamEvents.toolStep('step_2', 1, call),
        streamEvents.toolCallDelta('step_2', [{ ...call, args: '{"expression": "6*7"}' }]),
        streamEvents.toolResult('step_2', 1, { ...call, args: '{"expression": "6*7"}', output: '42' }),
        streamEvents.attachment({ type: 'resource', toolCallId: 'call_1', messageId: 'm', conversationId: null }),
        streamEvents.reasoningDelta('step_3', 'so'),
      ]),
    ).toEqual([]);
    expect(chunks.completion(result({ text: '' })).choices[0].message).toEqual({
      role: 'assistant',
      content: '',
      refusal: null,
      annotations: [],
    });
  });

  it('never finishes with tool_calls: the tools were the agent’s own, and ran', () => {
    const chunks = new ChatCompletionChunks(identity);
    expect(chunks.finishChunk(result({ finishReason: 'tool_calls' })).choices[0].finish_reason).toBe('stop');
    expect(chunks.completion(result({ finishReason: 'tool_calls' })).choices[0].finish_reason).toBe('stop');
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
      usage: {
        prompt_tokens: 0,
        completion_tokens: 0,
        total_tokens: 0,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
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
    expect(readGenerationEvent({ final: true, completion })).toEqual({ type: 'final', result: completion });
    expect(readGenerationEvent({ error: 'boom', completion })).toEqual({
      type: 'error',
      message: 'boom',
      result: completion,
    });
    expect(readGenerationEvent({ error: 'crashed' })).toEqual({ type: 'error', message: 'crashed', result: undefined });
    expect(readGenerationEvent({ final: true })?.type).toBe('error');
  });

  it('passes the answer’s events on as the stream reader reads them, and nothing else', () => {
    expect(readGenerationEvent(streamEvents.toolStep('s', 1, { id: 'c', name: 'calculator' }))).toMatchObject({
      type: 'answer',
      payload: { kind: 'run_step', stepType: 'tool_calls', toolCall: { id: 'c', name: 'calculator' } },
    });
    expect(readGenerationEvent(textEvent('Hi'))).toEqual({
      type: 'answer',
      payload: { kind: 'message_delta', stepId: 'step_1', text: 'Hi' },
    });
    expect(readGenerationEvent({ created: true, message: {} })).toBeNull();
    expect(readGenerationEvent({ event: 'on_something_new', data: {} })).toBeNull();
  });
});
