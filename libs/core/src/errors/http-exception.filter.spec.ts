import { Logger, type ArgumentsHost } from '@nestjs/common';
import { QueryFailedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { HttpExceptionFilter, NotFoundError, ServiceUnavailableError } from '@agents/core';

/** What the filter writes: status, headers and body of one response. */
function respond(exception: unknown): { status: number; headers: Record<string, string>; body: unknown } {
  const sent = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const res = {
    headersSent: false,
    setHeader: (name: string, value: string) => (sent.headers[name] = value),
    status(code: number) {
      sent.status = code;
      return this;
    },
    json: (body: unknown) => (sent.body = body),
  };
  const req = { id: 'req-1', method: 'POST', originalUrl: '/api/agents/chat' };
  const host = {
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => req }),
  } as unknown as ArgumentsHost;
  new HttpExceptionFilter().catch(exception, host);
  return sent;
}

/** A driver error as `pg` raises it when the server terminates the backend. */
function terminated(): QueryFailedError {
  const driverError = Object.assign(new Error('terminating connection due to administrator command'), {
    code: '57P01',
  });
  return new QueryFailedError('INSERT INTO messages …', [], driverError);
}

describe('HttpExceptionFilter and lost database connections', () => {
  beforeAll(() => {
    Logger.overrideLogger(false); // the filter logs every 5xx
  });
  it.each([
    ['a statement whose backend was terminated', terminated()],
    ['a transaction whose connection TypeORM already released', new QueryRunnerProviderAlreadyReleasedError()],
    ['the pg driver after the socket closed', new Error('Connection terminated unexpectedly')],
    ['a service saying a dependency is down', new ServiceUnavailableError('The database is unavailable')],
  ])('answers %s with 503 and Retry-After, never the driver text', (_, exception) => {
    const { status, headers, body } = respond(exception);
    expect(status).toBe(503);
    expect(headers['Retry-After']).toBe('1');
    expect(JSON.stringify(body)).not.toMatch(/administrator|query runner|terminated/i);
  });

  it('sends no Retry-After with other errors', () => {
    expect(respond(new NotFoundError('Agent not found')).headers).toEqual({});
    expect(respond(new Error('a bug')).status).toBe(500);
  });
});
