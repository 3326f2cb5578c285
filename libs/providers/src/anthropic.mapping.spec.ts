import { APIError } from '@anthropic-ai/sdk';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { chatParametersFrom } from './chat-provider';
import {
  DEFAULT_MAX_TOKENS,
  fromStreamEvent,
  toAnthropicRequest,
  toFinishReason,
  toProviderError,
} from './anthropic.mapping';

describe('toAnthropicRequest', () => {
  it('sends instructions as system, a default max_tokens, and stream: true', () => {
    const body = toAnthropicRequest({
      model: 'm',
      instructions: 'Be brief.',
      messages: [{ role: 'user', content: 'Hi' }],
    });

    expect(body).toEqual({
      model: 'm',
      system: 'Be brief.',
      max_tokens: DEFAULT_MAX_TOKENS,
      stream: true,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
  });

  it('maps tool calls to tool_use and merges consecutive tool results into one user message', () => {
    const body = toAnthropicRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: 'Checking.',
          toolCalls: [
            { id: 't1', name: 'weather', arguments: '{"city":"Bern"}' },
            { id: 't2', name: 'weather', arguments: '' },
          ],
        },
        { role: 'tool', toolCallId: 't1', content: 'sunny' },
        { role: 'tool', toolCallId: 't2', content: 'rain' },
        { role: 'user', content: 'Thanks' },
        { role: 'user', content: 'And?' },
      ],
    });

    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 't1', name: 'weather', input: { city: 'Bern' } },
          { type: 'tool_use', id: 't2', name: 'weather', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 't2', content: 'rain' },
          { type: 'text', text: 'Thanks' },
          { type: 'text', text: 'And?' },
        ],
      },
    ]);
  });

  it('sends images as base64 blocks after the text, and drops an empty assistant text', () => {
    const body = toAnthropicRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'What is this?', images: [{ mimeType: 'image/png', data: 'AAAA' }] },
        { role: 'assistant', content: '', toolCalls: [{ id: 't', name: 'f', arguments: '{}' }] },
      ],
    });

    expect(body.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
      ],
    });
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }],
    });
  });

  it('maps parameters and tools, ignoring what Anthropic does not understand', () => {
    const body = toAnthropicRequest({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      parameters: {
        temperature: 0.5,
        top_p: 0.9,
        top_k: 10,
        max_tokens: 100,
        stop: ['END'],
        presence_penalty: 1,
        reasoning_effort: 'high',
      },
      tools: [
        { name: 'calc', description: 'Math', parameters: { type: 'object', properties: { e: { type: 'string' } } } },
      ],
    });

    expect(body).toMatchObject({ temperature: 0.5, top_p: 0.9, top_k: 10, max_tokens: 100, stop_sequences: ['END'] });
    expect(body).not.toHaveProperty('presence_penalty');
    expect(body).not.toHaveProperty('reasoning_effort');
    expect(body).not.toHaveProperty('thinking');
    expect(body.tools).toEqual([
      { name: 'calc', description: 'Math', input_schema: { type: 'object', properties: { e: { type: 'string' } } } },
    ]);
  });

  it('enables thinking with the budget, leaving room for an answer by default', () => {
    const body = toAnthropicRequest({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      parameters: chatParametersFrom({ thinking_budget: 2000, bogus: 1 }),
    });

    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 2000 });
    expect(body.max_tokens).toBe(2000 + DEFAULT_MAX_TOKENS);
  });
});

describe('fromStreamEvent', () => {
  const event = (e: unknown): RawMessageStreamEvent => e as RawMessageStreamEvent;

  it('turns text, thinking and tool-use deltas into events', () => {
    expect(
      fromStreamEvent(event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } })),
    ).toEqual({ events: [{ type: 'text', text: 'Hi' }] });
    expect(
      fromStreamEvent(
        event({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Hm' } }),
      ),
    ).toEqual({ events: [{ type: 'reasoning', text: 'Hm' }] });
    expect(
      fromStreamEvent(
        event({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 's' } }),
      ),
    ).toEqual({ events: [] });
    expect(
      fromStreamEvent(
        event({
          type: 'content_block_start',
          index: 2,
          content_block: { type: 'tool_use', id: 'tu', name: 'f', input: {} },
        }),
      ),
    ).toEqual({ events: [{ type: 'tool_call', index: 2, id: 'tu', name: 'f', argsDelta: '' }] });
    expect(
      fromStreamEvent(
        event({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"a"' } }),
      ),
    ).toEqual({ events: [{ type: 'tool_call', index: 2, argsDelta: '{"a"' }] });
  });

  it('reads input tokens (with cache tokens) from message_start and output tokens and stop reason from message_delta', () => {
    expect(
      fromStreamEvent(
        event({
          type: 'message_start',
          message: {
            usage: { input_tokens: 3, cache_read_input_tokens: 4, cache_creation_input_tokens: 5, output_tokens: 1 },
          },
        }),
      ),
    ).toEqual({ events: [], inputTokens: 12, cacheReadTokens: 4, cacheWriteTokens: 5, outputTokens: 1 });
    expect(
      fromStreamEvent(
        event({
          type: 'message_delta',
          delta: { stop_reason: 'tool_use', stop_sequence: null },
          usage: { output_tokens: 9 },
        }),
      ),
    ).toEqual({ events: [], outputTokens: 9, finishReason: 'tool_calls' });
  });

  it('ignores block stops and message_stop', () => {
    expect(fromStreamEvent(event({ type: 'content_block_stop', index: 0 }))).toEqual({ events: [] });
    expect(fromStreamEvent(event({ type: 'message_stop' }))).toEqual({ events: [] });
  });
});

describe('toFinishReason', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'other'],
    ['something_new', 'other'],
  ])('%s → %s', (reason, expected) => {
    expect(toFinishReason(reason)).toBe(expected);
  });
});

describe('toProviderError', () => {
  const context = { provider: 'anthropic', started: false, abortCause: undefined, firstTokenTimeoutMs: 1000 };
  const status = (code: number, type: string, headers: Record<string, string> = {}): APIError =>
    APIError.generate(
      code,
      { type: 'error', error: { type, message: `words ${code}` } },
      undefined,
      new Headers(headers),
    );

  it('makes 529 overloaded retryable with its retry-after, only before the first event', () => {
    expect(toProviderError(status(529, 'overloaded_error', { 'retry-after': '3' }), context)).toMatchObject({
      kind: 'http',
      status: 529,
      retryable: true,
      retryAfterMs: 3000,
      code: 'overloaded_error',
    });
    expect(toProviderError(status(529, 'overloaded_error'), { ...context, started: true }).retryable).toBe(false);
  });

  it('does not retry 401 or 400', () => {
    expect(toProviderError(status(401, 'authentication_error'), context)).toMatchObject({
      kind: 'http',
      retryable: false,
    });
    expect(toProviderError(status(400, 'invalid_request_error'), context)).toMatchObject({
      kind: 'http',
      retryable: false,
    });
  });

  it('names the cause of its own aborts', () => {
    expect(toProviderError(new Error('x'), { ...context, abortCause: 'caller' }).kind).toBe('aborted');
    expect(toProviderError(new Error('x'), { ...context, abortCause: 'timeout' }).kind).toBe('timeout');
    expect(toProviderError(new Error('x'), { ...context, abortCause: 'stall', started: true }).kind).toBe(
      'stream_dropped',
    );
  });
});
