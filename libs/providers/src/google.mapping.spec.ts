import { ApiError, type GenerateContentResponse } from '@google/genai';
import {
  REPLAYED_CALL_SIGNATURE,
  fromChunk,
  retryDelayOf,
  toFinishReason,
  toGoogleRequest,
  toProviderError,
} from './google.mapping';

const chunk = (value: object): GenerateContentResponse => value as GenerateContentResponse;
const context = {
  provider: 'google',
  started: false,
  connected: true,
  abortCause: undefined,
  firstTokenTimeoutMs: 1000,
};

describe('toGoogleRequest', () => {
  it('maps history, merging consecutive turns of one role and naming function responses', () => {
    const { contents, config } = toGoogleRequest({
      model: 'gemini',
      instructions: 'Sys',
      messages: [
        { role: 'user', content: 'Look', images: [{ mimeType: 'image/png', data: 'AAA' }] },
        { role: 'assistant', content: 'Sure', toolCalls: [{ id: 'c1', name: 'f', arguments: '{"a":1}' }] },
        { role: 'tool', toolCallId: 'c1', content: 'out' },
        { role: 'user', content: 'Thanks' },
      ],
      parameters: { top_p: 0.9, top_k: 5, stop: ['END'], frequency_penalty: 1 },
    });
    expect(contents).toEqual([
      { role: 'user', parts: [{ text: 'Look' }, { inlineData: { mimeType: 'image/png', data: 'AAA' } }] },
      {
        role: 'model',
        parts: [
          { text: 'Sure' },
          { functionCall: { id: 'c1', name: 'f', args: { a: 1 } }, thoughtSignature: REPLAYED_CALL_SIGNATURE },
        ],
      },
      {
        role: 'user',
        parts: [{ functionResponse: { id: 'c1', name: 'f', response: { output: 'out' } } }, { text: 'Thanks' }],
      },
    ]);
    expect(config).toEqual({
      automaticFunctionCalling: { disable: true },
      automaticContinuation: false,
      systemInstruction: 'Sys',
      topP: 0.9,
      topK: 5,
      stopSequences: ['END'],
      frequencyPenalty: 1,
    });
  });
});

describe('fromChunk', () => {
  it('splits thoughts from text, numbers function calls across chunks and reports STOP as tool_calls', () => {
    const state = { toolCalls: 0 };
    const first = fromChunk(
      chunk({ candidates: [{ content: { parts: [{ text: 'hmm', thought: true }, { text: 'Hi' }] } }] }),
      state,
    );
    expect(first.events).toEqual([
      { type: 'reasoning', text: 'hmm' },
      { type: 'text', text: 'Hi' },
    ]);
    fromChunk(
      chunk({ candidates: [{ content: { parts: [{ functionCall: { id: 'x', name: 'a', args: {} } }] } }] }),
      state,
    );
    const last = fromChunk(
      chunk({
        candidates: [{ content: { parts: [{ functionCall: { name: 'b', args: { q: 1 } } }] }, finishReason: 'STOP' }],
        usageMetadata: {
          promptTokenCount: 10,
          candidatesTokenCount: 4,
          thoughtsTokenCount: 6,
          cachedContentTokenCount: 8,
        },
      }),
      state,
      () => 'call_new',
    );
    expect(last).toEqual({
      events: [{ type: 'tool_call', index: 1, id: 'call_new', name: 'b', argsDelta: '{"q":1}' }],
      finishReason: 'tool_calls',
      usage: { promptTokens: 10, completionTokens: 10, reasoningTokens: 6, cachedTokens: 8 },
    });
  });

  it('reports a blocked prompt as content_filter', () => {
    expect(fromChunk(chunk({ promptFeedback: { blockReason: 'SAFETY' } }), { toolCalls: 0 }).finishReason).toBe(
      'content_filter',
    );
  });

  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', 'other'],
  ])('maps %s to %s', (reason, expected) => {
    expect(toFinishReason(reason, false)).toBe(expected);
  });
});

describe('toProviderError', () => {
  const apiError = (status: number, body: object): ApiError =>
    new ApiError({ status, message: JSON.stringify({ error: body }) });

  it('reads the RetryInfo delay and keeps the key out of the message', () => {
    const error = toProviderError(
      apiError(429, {
        code: 429,
        message: 'Quota for key-123 exceeded',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }],
      }),
      { ...context, apiKey: 'key-123' },
    );
    expect(error).toMatchObject({
      kind: 'http',
      status: 429,
      retryable: true,
      retryAfterMs: 1500,
      code: 'RESOURCE_EXHAUSTED',
    });
    expect(error.message).toBe('google answered 429: Quota for [redacted] exceeded');
  });

  it('never retries after the first event, nor a 400', () => {
    expect(toProviderError(apiError(503, { message: 'x' }), { ...context, started: true }).retryable).toBe(false);
    expect(toProviderError(apiError(400, { message: 'x' }), context).retryable).toBe(false);
  });

  it('tells connection failures from broken streams and our own aborts', () => {
    const failed = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    expect(toProviderError(failed, { ...context, connected: false })).toMatchObject({
      kind: 'connection',
      retryable: true,
    });
    expect(toProviderError(new TypeError('terminated'), context).kind).toBe('stream_dropped');
    const abort = new DOMException('aborted', 'AbortError');
    expect(toProviderError(abort, { ...context, abortCause: 'caller' }).kind).toBe('aborted');
    expect(toProviderError(abort, { ...context, abortCause: 'timeout' }).kind).toBe('timeout');
    expect(toProviderError(abort, { ...context, abortCause: 'stall' }).kind).toBe('stream_dropped');
  });

  it('ignores a RetryInfo without seconds', () => {
    expect(retryDelayOf({ details: [{ '@type': 'google.rpc.RetryInfo', retryDelay: 'soon' }] })).toBeUndefined();
  });
});
