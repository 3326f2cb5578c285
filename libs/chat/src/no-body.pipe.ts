import { Injectable, createParamDecorator, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import type { Request } from 'express';
import { ValidationFailedError } from '@agents/core';

/**
 * For a route that takes no body: none, or an empty one, passes; anything else is a 400 naming
 * each field sent, so a client that meant something by it learns the route does not take it.
 */
@Injectable()
export class NoBodyPipe implements PipeTransform<unknown, undefined> {
  transform(value: unknown): undefined {
    if (value === undefined || value === null) return undefined;
    const fields = typeof value === 'object' ? Object.keys(value) : ['body'];
    if (fields.length > 0) {
      throw new ValidationFailedError(
        fields.map((field) => ({ field, message: `${field} is not a known field: this route takes no body` })),
      );
    }
    return undefined;
  }
}

/**
 * The request body as it came, for a pipe to check: `@RequestBody(NoBodyPipe)`. Unlike `@Body()` it
 * adds no body to the route's OpenAPI document.
 */
export const RequestBody = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): unknown => ctx.switchToHttp().getRequest<Request>().body,
);
