import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { ProviderError } from './chat-provider';
import { toProviderError } from './openai.mapping';
import { classifyProviderError, type ProviderFailure } from './provider-error';

const SECRET = 'sk-live-0123456789abcdef0123456789abcdef';
const ECHO = `Incorrect API key provided: Bearer ${SECRET}, internal host 10.12.0.7:8443`;

/** An error as the openai SDK raises it for an HTTP error answer. */
function apiError(status: number, message = ECHO, code: string | null = null): APIError {
  return APIError.generate(
    status,
    { error: { message, type: 'invalid_request_error', code, param: null } },
    message,
    new Headers(),
  );
}

/** The same error after the OpenAI adapter mapped it, as the worker sees it. */
function adapted(status: number, message = ECHO, code: string | null = null): ProviderError {
  return toProviderError(apiError(status, message, code), {
    provider: 'openai',
    started: false,
    abortCause: undefined,
    firstTokenTimeoutMs: 1000,
  });
}

function expectSafe(failure: ProviderFailure): void {
  expect(failure.safeMessage).toContain('openai');
  expect(failure.safeMessage).not.toContain(SECRET);
  expect(failure.safeMessage).not.toMatch(/10\.12\.0\.7|Bearer|Incorrect API key/);
}

describe('classifyProviderError', () => {
  it.each([
    [401, 'auth', /credentials \(HTTP 401\)\. Ask an administrator to check the provider's API key/],
    [403, 'auth', /credentials \(HTTP 403\)/],
    [429, 'rate_limit', /too many requests \(HTTP 429\); try again/],
    [400, 'bad_request', /refused the request \(HTTP 400\)/],
    [404, 'bad_request', /model may not exist/],
    [422, 'bad_request', /HTTP 422/],
    [500, 'unavailable', /is unavailable \(HTTP 500\); try again shortly/],
    [503, 'unavailable', /HTTP 503/],
  ])('turns HTTP %i into %s with a safe message, keeping the upstream words for the log', (status, kind, message) => {
    for (const error of [apiError(status), adapted(status)]) {
      const failure = classifyProviderError(error, 'openai');
      expect(failure).toMatchObject({ kind, httpStatus: status });
      expect(failure.safeMessage).toMatch(message);
      expectSafe(failure);
      expect(failure.detail).toContain(SECRET); // operators see everything, in the log
    }
  });

  it('says what to do when the conversation is too long for the model', () => {
    for (const error of [
      adapted(400, "This model's maximum context length is 8192 tokens", 'context_length_exceeded'),
      adapted(400, 'Please reduce the length of the messages.'),
      adapted(413, ECHO),
    ]) {
      const failure = classifyProviderError(error, 'openai');
      expect(failure.kind).toBe('bad_request');
      expect(failure.safeMessage).toMatch(/the conversation may be too long for the model/);
    }
  });

  it('tells an exhausted quota from a rate limit', () => {
    expect(classifyProviderError(adapted(429, ECHO, 'insufficient_quota'), 'openai').safeMessage).toMatch(
      /quota is used up \(HTTP 429\)\. Ask an administrator/,
    );
  });

  it('classifies network failures, timeouts and broken streams without their text', () => {
    const cases: [unknown, ProviderFailure['kind']][] = [
      [new APIConnectionError({ message: `connect ECONNREFUSED 10.12.0.7:8443` }), 'unavailable'],
      [new APIConnectionTimeoutError({ message: `timed out talking to 10.12.0.7` }), 'timeout'],
      [new ProviderError('connection', `Could not reach openai: ${ECHO}`), 'unavailable'],
      [new ProviderError('timeout', 'openai sent no first token within 1000 ms'), 'timeout'],
      [new ProviderError('stream_dropped', `openai reported an error mid-stream: ${ECHO}`), 'unavailable'],
      [Object.assign(new Error(`getaddrinfo ENOTFOUND ${SECRET}.internal`), { code: 'ENOTFOUND' }), 'unavailable'],
      [Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), 'timeout'],
      [new Error(ECHO), 'unknown'],
      ['a thrown string', 'unknown'],
    ];
    for (const [error, kind] of cases) {
      const failure = classifyProviderError(error, 'openai');
      expect(failure.kind).toBe(kind);
      expect(failure.httpStatus).toBeUndefined();
      expectSafe(failure);
    }
  });

  it('names a provider this server cannot call', () => {
    const failure = classifyProviderError(
      new ProviderError('unsupported', 'The anthropic provider is not supported yet'),
      'anthropic',
    );
    expect(failure).toMatchObject({ kind: 'unsupported' });
    expect(failure.safeMessage).toMatch(/anthropic provider is not available on this server/);
  });
});
