import { ProviderError, chatParametersFrom } from './chat-provider';

describe('chatParametersFrom', () => {
  it('keeps the known, well-typed parameters of an agent', () => {
    expect(
      chatParametersFrom({
        temperature: 0.7,
        top_p: 1,
        max_tokens: 512,
        frequency_penalty: -1,
        presence_penalty: 0.5,
        top_k: 40,
        stop: ['END', '\n\nUser:'],
        reasoning_effort: 'high',
      }),
    ).toEqual({
      temperature: 0.7,
      top_p: 1,
      max_tokens: 512,
      frequency_penalty: -1,
      presence_penalty: 0.5,
      top_k: 40,
      stop: ['END', '\n\nUser:'],
      reasoning_effort: 'high',
    });
  });

  it('drops unknown keys and values of the wrong type', () => {
    expect(
      chatParametersFrom({
        temperature: '0.7',
        top_p: Number.NaN,
        max_tokens: null,
        stop: ['ok', 3],
        reasoning_effort: 'extreme',
        logit_bias: { 50256: -100 },
      }),
    ).toEqual({});
  });

  it('accepts a missing or empty object', () => {
    expect(chatParametersFrom(undefined)).toEqual({});
    expect(chatParametersFrom(null)).toEqual({});
    expect(chatParametersFrom({ stop: [] })).toEqual({});
  });
});

describe('ProviderError', () => {
  it('is not retryable unless it says so', () => {
    const error = new ProviderError('http', 'openai answered 401: bad key', { status: 401 });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'ProviderError', kind: 'http', status: 401, retryable: false });
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('keeps its cause', () => {
    const cause = new Error('socket hang up');
    expect(new ProviderError('stream_dropped', 'broke off', { cause }).cause).toBe(cause);
  });
});
