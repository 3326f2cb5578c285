import { Injectable, createParamDecorator, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import type { Request } from 'express';
import { ValidationFailedError } from '@agents/core';
import { IDEMPOTENCY_KEY_PATTERN } from './dto/chat.dto';

/** The `Idempotency-Key` header: absent, or 1..255 printable ASCII characters (a 400 naming it otherwise). */
@Injectable()
export class IdempotencyKeyPipe implements PipeTransform<string | undefined, string | undefined> {
  transform(value: string | undefined): string | undefined {
    if (value !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(value)) {
      throw new ValidationFailedError([
        { field: 'Idempotency-Key', message: 'the Idempotency-Key header must be 1..255 printable ASCII characters' },
      ]);
    }
    return value;
  }
}

/** The request's `Idempotency-Key` header, for a pipe to check: `@IdempotencyKey(IdempotencyKeyPipe)`. */
export const IdempotencyKey = createParamDecorator((_data: unknown, ctx: ExecutionContext): string | undefined => {
  const value = ctx.switchToHttp().getRequest<Request>().headers['idempotency-key'];
  return typeof value === 'string' ? value : undefined;
});
