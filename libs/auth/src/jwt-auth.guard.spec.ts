import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UnauthenticatedError } from '@agents/core';
import { AcceptsApiKey } from './api-key.decorator';
import { ApiKeyTokenGuard, API_KEY_REFUSED_MESSAGE, JwtAuthGuard, JwtTokenGuard } from './jwt-auth.guard';
import type { AuthService } from './auth.service';
import { Public } from './public.decorator';
import { AcceptsStreamTicket, StreamTickets } from './stream-tickets';

const API_KEY = `sk-${'ab'.repeat(32)}`;
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

class NormalController {
  route(): void {}
}

@AcceptsApiKey()
class OpenAiController {
  route(): void {}
}

class MixedController {
  @AcceptsApiKey()
  withKey(): void {}
  @Public()
  open(): void {}
}

class StreamController {
  @AcceptsStreamTicket('streamId')
  stream(): void {}
}

@Public()
class PublicController {
  route(): void {}
}

const USER_ID = '7d1f0a6e-3b2c-4d5e-8f90-123456789abc';
const STREAM_ID = '0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';
const tickets = new StreamTickets({ jwtSecret: 'x'.repeat(40) } as never);

function contextFor(
  controller: new () => object,
  method: string,
  authorization?: string,
  extra: { query?: Record<string, unknown>; params?: Record<string, string> } = {},
): ExecutionContext {
  const request = { headers: authorization === undefined ? {} : { authorization }, query: {}, params: {}, ...extra };
  return {
    getHandler: () => (controller.prototype as Record<string, unknown>)[method],
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
  } as unknown as ExecutionContext;
}

describe('JwtAuthGuard (which strategy authenticates a request)', () => {
  let guard: JwtAuthGuard;
  let jwt: jest.SpyInstance;
  let apiKey: jest.SpyInstance;

  beforeEach(() => {
    jwt = jest.spyOn(JwtTokenGuard.prototype, 'canActivate').mockResolvedValue(true);
    apiKey = jest.spyOn(ApiKeyTokenGuard.prototype, 'canActivate').mockResolvedValue(true);
    const auth = { userForToken: ({ sub }: { sub: string }) => Promise.resolve(sub === USER_ID ? { id: sub } : null) };
    guard = new JwtAuthGuard(new Reflector(), tickets, auth as unknown as AuthService);
  });

  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['a public controller', PublicController, 'route', `Bearer ${API_KEY}`],
    ['a public route', MixedController, 'open', undefined],
  ])('lets %s through without checking anything', async (_label, controller, method, header) => {
    expect(await guard.canActivate(contextFor(controller, method, header))).toBe(true);
    expect(jwt).not.toHaveBeenCalled();
    expect(apiKey).not.toHaveBeenCalled();
  });

  it.each([
    ['an AcceptsApiKey controller', OpenAiController, 'route'],
    ['an AcceptsApiKey route', MixedController, 'withKey'],
  ])('checks an sk- token with the api-key strategy on %s', async (_label, controller, method) => {
    const context = contextFor(controller, method, `Bearer ${API_KEY}`);
    expect(await guard.canActivate(context)).toBe(true);
    expect(apiKey).toHaveBeenCalledWith(context);
    expect(jwt).not.toHaveBeenCalled();
  });

  it('accepts the Bearer scheme in any case', async () => {
    await guard.canActivate(contextFor(OpenAiController, 'route', `bearer ${API_KEY}`));
    expect(apiKey).toHaveBeenCalledTimes(1);
  });

  it('checks a JWT with the jwt strategy, on AcceptsApiKey routes too', async () => {
    const normal = contextFor(NormalController, 'route', `Bearer ${JWT}`);
    const openAi = contextFor(OpenAiController, 'route', `Bearer ${JWT}`);
    await guard.canActivate(normal);
    await guard.canActivate(openAi);
    expect(jwt.mock.calls).toEqual([[normal], [openAi]]);
    expect(apiKey).not.toHaveBeenCalled();
  });

  it('leaves a request without credentials to the jwt strategy (its 401)', async () => {
    const context = contextFor(OpenAiController, 'route');
    await guard.canActivate(context);
    expect(jwt).toHaveBeenCalledWith(context);
  });

  it('refuses an sk- token on any other route with a 401 saying where keys work, checking nothing', () => {
    let error: unknown;
    try {
      void guard.canActivate(contextFor(NormalController, 'route', `Bearer ${API_KEY}`));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as Error).message).toBe(API_KEY_REFUSED_MESSAGE);
    expect(API_KEY_REFUSED_MESSAGE).toContain('/api/agents/v1');
    expect(jwt).not.toHaveBeenCalled();
    expect(apiKey).not.toHaveBeenCalled();
  });
});

describe('JwtAuthGuard with stream tickets', () => {
  const auth = { userForToken: ({ sub }: { sub: string }) => Promise.resolve(sub === USER_ID ? { id: sub } : null) };
  const guard = new JwtAuthGuard(new Reflector(), tickets, auth as unknown as AuthService);
  const streamContext = (ticket: unknown, streamId = STREAM_ID, authorization?: string) =>
    contextFor(StreamController, 'stream', authorization, { query: { ticket }, params: { streamId } });
  const requestOf = (context: ExecutionContext) => context.switchToHttp().getRequest<{ user?: unknown }>();

  afterEach(() => jest.restoreAllMocks());

  it('authenticates the ticket’s user on the stream it was issued for', async () => {
    const context = streamContext(tickets.issue(USER_ID, STREAM_ID).ticket);
    expect(await guard.canActivate(context)).toBe(true);
    expect(requestOf(context).user).toEqual({ id: USER_ID });
  });

  it.each([
    ['another stream', () => streamContext(tickets.issue(USER_ID, STREAM_ID).ticket, USER_ID)],
    ['an expired ticket', () => streamContext(tickets.issue(USER_ID, STREAM_ID, Date.now() - 5 * 60_000 - 1).ticket)],
    ['a forged signature', () => streamContext(`${USER_ID}.${STREAM_ID}.${Date.now() + 60_000}.AAAA`)],
    ['a ticket repeated in the query', () => streamContext(['a', 'b'])],
    ['a deleted account', () => streamContext(tickets.issue(STREAM_ID, STREAM_ID).ticket)],
  ])('refuses %s with a 401', async (_label, context) => {
    await expect(guard.canActivate(context())).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('takes no ticket on a route not marked for it, and prefers a bearer token when both are sent', async () => {
    const jwt = jest.spyOn(JwtTokenGuard.prototype, 'canActivate').mockResolvedValue(true);
    const ticket = tickets.issue(USER_ID, STREAM_ID).ticket;
    const elsewhere = contextFor(NormalController, 'route', undefined, {
      query: { ticket },
      params: { streamId: STREAM_ID },
    });
    await guard.canActivate(elsewhere);
    const both = streamContext(ticket, STREAM_ID, `Bearer ${JWT}`);
    await guard.canActivate(both);
    expect(jwt.mock.calls).toEqual([[elsewhere], [both]]);
    expect(requestOf(elsewhere).user).toBeUndefined();
  });
});

describe('StreamTickets', () => {
  it('are not JWTs, and a ticket signed with another secret is refused', () => {
    const { ticket, expiresAt } = tickets.issue(USER_ID, STREAM_ID, 1_000);
    expect(ticket.split('.')).toHaveLength(4);
    expect(expiresAt).toBe(new Date(1_000 + 5 * 60_000).toISOString());
    expect(tickets.verify(ticket, STREAM_ID, 2_000)).toBe(USER_ID);
    const other = new StreamTickets({ jwtSecret: 'y'.repeat(40) } as never);
    expect(other.verify(ticket, STREAM_ID, 2_000)).toBeNull();
    const tampered = ticket.replace(USER_ID, '7d1f0a6e-3b2c-4d5e-8f90-123456789abd');
    expect(tickets.verify(tampered, STREAM_ID, 2_000)).toBeNull();
  });
});

describe('token guards’ answers', () => {
  const user = { id: 'u1' };

  it('the api-key guard passes the strategy’s own error through and refuses a missing user', () => {
    const guard = new ApiKeyTokenGuard();
    const expired = new UnauthenticatedError('The API key has expired; create a new one');
    expect(() => guard.handleRequest(expired, false)).toThrow(expired);
    expect(() => guard.handleRequest(null, false)).toThrow(new UnauthenticatedError('Invalid API key'));
    expect(guard.handleRequest(null, user)).toBe(user);
  });

  it('the jwt guard says when a token expired', () => {
    const guard = new JwtTokenGuard();
    const expired = Object.assign(new Error('jwt expired'), { name: 'TokenExpiredError' });
    expect(() => guard.handleRequest(null, false, expired)).toThrow('The token has expired; log in again');
    expect(() => guard.handleRequest(null, false, undefined)).toThrow('A valid bearer token is required');
    expect(guard.handleRequest(null, user, undefined)).toBe(user);
  });
});
