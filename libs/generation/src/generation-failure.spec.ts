import { Logger } from '@nestjs/common';
import { ProviderError } from '@agents/providers';
import { providerFailed } from './generation-failure';

describe('providerFailed', () => {
  afterEach(() => jest.restoreAllMocks());

  it('logs one warning with the stream, provider, status and upstream words, and returns only a safe message', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const upstream = 'Incorrect API key provided: sk-secret-123, internal host 10.0.0.9';
    const cause = new ProviderError('http', `openai answered 401: ${upstream}`, { status: 401 });

    const { error, failure } = providerFailed(cause, { streamId: 'stream-1', provider: 'openai' });

    expect(failure).toEqual({ kind: 'auth', httpStatus: 401 });
    expect(error).toMatch(/^The openai provider rejected the request's credentials \(HTTP 401\)/);
    expect(error).not.toMatch(/sk-secret|10\.0\.0\.9/);
    expect(warn).toHaveBeenCalledTimes(1);
    const [fields, line] = warn.mock.calls[0] as [Record<string, unknown>, string];
    expect(fields).toMatchObject({ streamId: 'stream-1', provider: 'openai', kind: 'auth', status: 401 });
    expect(fields.upstream).toContain(upstream);
    expect(line).toContain('stream-1');
    expect(line).toContain(upstream);
  });
});
