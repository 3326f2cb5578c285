import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { ProviderError } from './chat-provider';
import {
  type ErrorContext,
  fromChunk,
  isRetryableStatus,
  parseRetryAfter,
  toFinishReason,
  toOpenAIRequest,
  toProviderError,
} from './openai.mapping';

function chunk(delta: Record<string, unknown>, extra: Partial<ChatCompletionChunk> = {}): ChatCompletionChunk {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: null }],
    ...extra,
  };
}

describe('toOpenAIRequest', () => {
  it('streams with usage, and sends no system message without instructions', () => {
    const body = toOpenAIRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(body).toEqual({
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('omits absent parameters, an empty stop list and an empty tools list', () => {
    const body = toOpenAIRequest({
      model: 'm',
      messages: [],
      parameters: { temperature: 0, stop: [] },
      tools: [],
    });
    expect(body.temperature).toBe(0);
    expect(body).not.toHaveProperty('stop');
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('top_p');
  });

  it('keeps the content of an assistant turn with tool calls when it has some', () => {
    const body = toOpenAIRequest({
      model: 'm',
      messages: [
        { role: 'assistant', content: 'Let me check.', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] },
      ],
    });
    expect(body.messages[0]).toMatchObject({ role: 'assistant', content: 'Let me check.' });
  });

  it('sends a user message with images as a text part and image_url parts with data URLs', () => {
    const body = toOpenAIRequest({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: 'What is this?',
          images: [
            { mimeType: 'image/png', data: 'iVBORw0KGgo=' },
            { mimeType: 'image/jpeg', data: '/9j/4A==' },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4A==' } },
        ],
      },
    ]);
  });

  it('sends no empty text part beside images, and plain text when the images list is empty', () => {
    const body = toOpenAIRequest({
      model: 'm',
      messages: [
        { role: 'user', content: '', images: [{ mimeType: 'image/gif', data: 'R0lGODlh' }] },
        { role: 'user', content: 'hi', images: [] },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/gif;base64,R0lGODlh' } }] },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('passes reasoning_effort and verbosity through and leaves out a tool description it was not given', () => {
    const body = toOpenAIRequest({
      model: 'm',
      messages: [],
      parameters: { reasoning_effort: 'xhigh', verbosity: 'low' },
      tools: [{ name: 'f', parameters: { type: 'object' } }],
    });
    expect(body.reasoning_effort).toBe('xhigh');
    expect(body.verbosity).toBe('low');
    expect(toOpenAIRequest({ model: 'm', messages: [] })).not.toHaveProperty('verbosity');
    expect(body.tools).toEqual([{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }]);
  });
});

describe('fromChunk', () => {
  it('ignores the role-only first chunk', () => {
    expect(fromChunk(chunk({ role: 'assistant', content: '' }))).toEqual({ events: [] });
  });

  it('yields reasoning before text when a chunk carries both', () => {
    expect(fromChunk(chunk({ reasoning_content: 'hmm', content: 'A' })).events).toEqual([
      { type: 'reasoning', text: 'hmm' },
      { type: 'text', text: 'A' },
    ]);
  });

  it('maps tool-call fragments, leaving out what the fragment does not carry', () => {
    const first = fromChunk(
      chunk({ tool_calls: [{ index: 1, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }),
    );
    const next = fromChunk(chunk({ tool_calls: [{ index: 1, function: { arguments: '{"a":' } }] }));
    expect(first.events).toEqual([{ type: 'tool_call', index: 1, id: 'call_1', name: 'f', argsDelta: '' }]);
    expect(next.events).toEqual([{ type: 'tool_call', index: 1, argsDelta: '{"a":' }]);
  });

  it('reads the finish reason and the usage of a usage-only chunk', () => {
    const finish = chunk({});
    finish.choices[0].finish_reason = 'length';
    expect(fromChunk(finish)).toEqual({ events: [], finishReason: 'length' });
    expect(
      fromChunk(chunk({}, { choices: [], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } })),
    ).toEqual({ events: [], usage: { promptTokens: 3, completionTokens: 5 } });
  });

  it('reads reasoning and cached tokens from the usage details, leaving out null ones', () => {
    const usage = {
      prompt_tokens: 30,
      completion_tokens: 12,
      total_tokens: 42,
      completion_tokens_details: { reasoning_tokens: 7 },
      prompt_tokens_details: { cached_tokens: 20 },
    };
    expect(fromChunk(chunk({}, { choices: [], usage })).usage).toEqual({
      promptTokens: 30,
      completionTokens: 12,
      reasoningTokens: 7,
      cachedTokens: 20,
    });
    const sparse = { ...usage, completion_tokens_details: null, prompt_tokens_details: { cached_tokens: null } };
    // Compatible servers send null where OpenAI's types say an object or a number.
    const nulls = sparse as unknown as ChatCompletionChunk['usage'];
    expect(fromChunk(chunk({}, { choices: [], usage: nulls })).usage).toEqual({
      promptTokens: 30,
      completionTokens: 12,
    });
  });

  it('ignores choices other than the first', () => {
    expect(fromChunk(chunk({}, { choices: [{ index: 1, delta: { content: 'x' }, finish_reason: null }] }))).toEqual({
      events: [],
    });
  });
});

describe('toFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['tool_calls', 'tool_calls'],
    ['function_call', 'tool_calls'],
    ['content_filter', 'content_filter'],
    ['eos_token', 'other'],
  ])('%s → %s', (reason, expected) => {
    expect(toFinishReason(reason)).toBe(expected);
  });
});

describe('isRetryableStatus', () => {
  it.each([408, 409, 429, 500, 502, 503, 529])('retries %i', (status) => expect(isRetryableStatus(status)).toBe(true));
  it.each([400, 401, 403, 404, 422])('does not retry %i', (status) => expect(isRetryableStatus(status)).toBe(false));
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    [{ 'retry-after': '7' }, 7000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after-ms': '250', 'retry-after': '7' }, 250],
    [{ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, 30_000],
    [{ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, 0],
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined],
  ])('%p → %p', (headers, expected) => {
    expect(parseRetryAfter(new Headers(headers), now)).toBe(expected);
  });

  it('is undefined without headers', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('toProviderError', () => {
  const context: ErrorContext = {
    provider: 'openai',
    started: false,
    abortCause: undefined,
    firstTokenTimeoutMs: 1000,
  };
  const apiError = (status: number, headers: Record<string, string> = {}) =>
    // As the SDK builds it from a response: the body is OpenAI's envelope `{error: {…}}`.
    APIError.generate(
      status,
      { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded', param: null } },
      undefined,
      new Headers(headers),
    );

  it('keeps the status, the provider message, the code and the Retry-After of an HTTP error', () => {
    const error = toProviderError(apiError(429, { 'retry-after': '2' }), context);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'http', status: 429, retryable: true, retryAfterMs: 2000 });
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.message).toBe('openai answered 429: Rate limit reached');
  });

  it('never marks an error retryable once the stream started', () => {
    expect(toProviderError(apiError(503), { ...context, started: true }).retryable).toBe(false);
  });

  it('names the cause the adapter recorded for an abort', () => {
    const abort = new APIUserAbortError();
    expect(toProviderError(abort, { ...context, abortCause: 'caller' }).kind).toBe('aborted');
    expect(toProviderError(abort, { ...context, abortCause: 'timeout' })).toMatchObject({
      kind: 'timeout',
      message: 'openai sent no first token within 1000 ms',
    });
    expect(toProviderError(abort, { ...context, abortCause: 'stall', started: true }).kind).toBe('stream_dropped');
    expect(toProviderError(abort, context).kind).toBe('aborted');
  });

  it('maps the SDK timeout to timeout and connection errors by whether the stream started', () => {
    expect(toProviderError(new APIConnectionTimeoutError(), context).kind).toBe('timeout');
    const refused = new APIConnectionError({ message: 'Connection error.', cause: new Error('ECONNREFUSED') });
    expect(toProviderError(refused, context)).toMatchObject({ kind: 'connection', retryable: true });
    expect(toProviderError(refused, context).message).toContain('ECONNREFUSED');
    expect(toProviderError(refused, { ...context, started: true })).toMatchObject({
      kind: 'stream_dropped',
      retryable: false,
    });
  });

  it('treats an error object inside the event stream as a dropped stream', () => {
    // As the SDK's stream decoder builds it from a `data: {"error": …}` frame.
    const inStream = new APIError(undefined, { message: 'overloaded' }, undefined, new Headers());
    expect(toProviderError(inStream, { ...context, started: true })).toMatchObject({
      kind: 'stream_dropped',
      message: 'openai reported an error mid-stream: overloaded',
    });
  });

  it('treats a bare fetch failure as a dropped stream and passes ProviderErrors through', () => {
    const terminated = new TypeError('terminated', { cause: new Error('other side closed') });
    expect(toProviderError(terminated, { ...context, started: true })).toMatchObject({
      kind: 'stream_dropped',
      message: 'The stream from openai broke off: terminated (other side closed)',
    });
    const own = new ProviderError('unsupported', 'nope');
    expect(toProviderError(own, context)).toBe(own);
  });
});
