import { Injectable, SetMetadata } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppConfig, UUID_PATTERN } from '@agents/core';

/** How long a stream ticket opens its stream: long enough to connect, short enough to be harmless in a copied URL. */
export const STREAM_TICKET_TTL_MS = 5 * 60_000;

/** Marks a route that takes a stream ticket in `?ticket=` instead of a bearer token; names its stream-id parameter. */
export const ACCEPTS_STREAM_TICKET = 'acceptsStreamTicket';

/**
 * Lets a stream route be opened with a stream ticket (`?ticket=`) instead of a bearer token;
 * `param` names the route parameter holding the stream id the ticket must be for.
 */
export const AcceptsStreamTicket = (param: string): MethodDecorator => SetMetadata(ACCEPTS_STREAM_TICKET, param);

export interface IssuedTicket {
  ticket: string;
  /** ISO 8601. */
  expiresAt: string;
}

/**
 * Short-lived, signed tickets that open one chat stream for one user — what a browser's native
 * `EventSource` (which cannot send an Authorization header) puts in the stream URL. A ticket is not
 * a token: it is signed with its own key (derived from JWT_SECRET, so a ticket can never pass as a
 * JWT or the other way round), names its stream and expires after {@link STREAM_TICKET_TTL_MS}.
 * The browser's automatic reconnects within that time reuse it, with `Last-Event-ID`.
 *
 * Format: `<user id>.<stream id>.<expiry, unix ms>.<HMAC-SHA256, base64url>`.
 */
@Injectable()
export class StreamTickets {
  private readonly key: Buffer;

  constructor(config: AppConfig) {
    this.key = createHmac('sha256', config.jwtSecret).update('agents-api stream ticket v1').digest();
  }

  issue(userId: string, streamId: string, now = Date.now()): IssuedTicket {
    const expiresAt = now + STREAM_TICKET_TTL_MS;
    const body = `${userId}.${streamId}.${expiresAt}`;
    return { ticket: `${body}.${this.sign(body)}`, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** The user a valid, unexpired ticket for exactly this stream was issued to; null otherwise. */
  verify(ticket: string, streamId: string, now = Date.now()): string | null {
    const parts = ticket.split('.');
    if (parts.length !== 4) return null;
    const [userId, ticketStream, expiry, signature] = parts as [string, string, string, string];
    if (!UUID_PATTERN.test(userId) || ticketStream !== streamId || !/^\d{1,15}$/.test(expiry)) return null;
    const expected = Buffer.from(this.sign(`${userId}.${ticketStream}.${expiry}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return Number(expiry) > now ? userId : null;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
