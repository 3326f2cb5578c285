import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { TooManyRequestsError } from '@agents/core';

/**
 * The throttler on the unauthenticated auth routes (AUTH_RATE_LIMIT per minute per client
 * address). Over the limit it throws the domain error, so the 429 has the usual error body and a
 * standard `Retry-After` (seconds) like every other 429 of the API.
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    return Promise.reject(
      new TooManyRequestsError(`Too many attempts from this address; retry in ${retryAfter} s`, retryAfter),
    );
  }
}
