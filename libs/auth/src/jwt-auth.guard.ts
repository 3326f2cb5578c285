import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { UnauthenticatedError } from '@agents/core';
import { ACCEPTS_API_KEY } from './api-key.decorator';
import { looksLikeApiKey } from './api-key-secret';
import { AuthService } from './auth.service';
import { IS_PUBLIC } from './public.decorator';
import { ACCEPTS_STREAM_TICKET, StreamTickets } from './stream-tickets';

export const API_KEY_REFUSED_MESSAGE =
  'API keys are accepted only on /api/agents/v1 (the OpenAI-compatible API); use a JWT from POST /api/auth/login here';

/** Passport's 'jwt' strategy, with our 401 messages. */
export class JwtTokenGuard extends AuthGuard('jwt') {
  override handleRequest<TUser>(err: unknown, user: TUser | false, info: unknown): TUser {
    if (err) throw err instanceof Error ? err : new UnauthenticatedError('Invalid credentials');
    if (!user) {
      const expired = info instanceof Error && info.name === 'TokenExpiredError';
      throw new UnauthenticatedError(
        expired ? 'The token has expired; log in again' : 'A valid bearer token is required',
      );
    }
    return user;
  }
}

/** Passport's 'api-key' strategy; the strategy itself says why a key is refused. */
export class ApiKeyTokenGuard extends AuthGuard('api-key') {
  override handleRequest<TUser>(err: unknown, user: TUser | false): TUser {
    if (err) throw err instanceof Error ? err : new UnauthenticatedError('Invalid API key');
    if (!user) throw new UnauthenticatedError('Invalid API key');
    return user;
  }
}

/** The bearer token of the Authorization header, if there is one. */
function bearerToken(request: Request): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/**
 * Global guard: every route needs credentials unless it is marked @Public(). A JWT works
 * everywhere; an API key (`sk-…`) only on routes marked @AcceptsApiKey() and is refused, with a
 * message saying so, anywhere else; a stream ticket (`?ticket=`) only on the stream it was issued
 * for, on a route marked @AcceptsStreamTicket(), and only when no bearer token is sent.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly jwt = new JwtTokenGuard();
  private readonly apiKey = new ApiKeyTokenGuard();

  constructor(
    private readonly reflector: Reflector,
    private readonly tickets: StreamTickets,
    private readonly auth: AuthService,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> | Observable<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const token = bearerToken(request);
    const ticketParam = this.reflector.getAllAndOverride<string | undefined>(ACCEPTS_STREAM_TICKET, targets);
    if (token === undefined && ticketParam !== undefined && request.query.ticket !== undefined) {
      return this.ticketHolder(request, ticketParam);
    }
    if (token !== undefined && looksLikeApiKey(token)) {
      if (!this.reflector.getAllAndOverride<boolean>(ACCEPTS_API_KEY, targets)) {
        throw new UnauthenticatedError(API_KEY_REFUSED_MESSAGE);
      }
      return this.apiKey.canActivate(context);
    }
    return this.jwt.canActivate(context);
  }

  /** Authenticates the ticket's user for the stream named by the route's `param`. */
  private async ticketHolder(request: Request, param: string): Promise<boolean> {
    const ticket = request.query.ticket;
    const streamId = request.params[param];
    const userId =
      typeof ticket === 'string' && typeof streamId === 'string' ? this.tickets.verify(ticket, streamId) : null;
    if (!userId) {
      throw new UnauthenticatedError(
        'The stream ticket is invalid, expired or for another stream; get a new one from POST /api/agents/chat/stream/:streamId/ticket',
      );
    }
    const user = await this.auth.userForToken({ sub: userId });
    if (!user) throw new UnauthenticatedError('The account for this ticket no longer exists');
    request.user = user;
    return true;
  }
}
