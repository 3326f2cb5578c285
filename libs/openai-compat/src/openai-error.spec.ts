import { QueryRunnerAlreadyReleasedError } from 'typeorm';
import { ServiceUnavailableError } from '@agents/core';
import { formatOpenAIError } from './openai-error';

describe('formatOpenAIError and lost database connections', () => {
  it.each([
    ['a query runner TypeORM released when its connection failed', new QueryRunnerAlreadyReleasedError()],
    [
      'a terminated backend',
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    ],
    ['a service saying a dependency is down', new ServiceUnavailableError('Redis is unavailable')],
  ])('answers %s with 503 service_unavailable and Retry-After', (_, exception) => {
    const { status, body, headers } = formatOpenAIError(exception, 'req-1');
    expect(status).toBe(503);
    expect(body).toMatchObject({ error: { type: 'server_error', code: 'service_unavailable' } });
    expect(headers).toEqual({ 'Retry-After': '1', 'retry-after-ms': '1000' });
  });
});
