import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UnauthenticatedError } from '@agents/core';
import { AcceptsApiKey } from './api-key.decorator';
import { ApiKeyTokenGuard, API_KEY_REFUSED_MESSAGE, JwtAuthGuard, JwtTokenGuard } from './jwt-auth.guard';
import { Public } from './public.decorator';

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

@Public()
class PublicController {
  route(): void {}
}

function contextFor(controller: new () => object, method: string, authorization?: string): ExecutionContext {
  const request = { headers: authorization === undefined ? {} : { authorization } };
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
    guard = new JwtAuthGuard(new Reflector());
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
