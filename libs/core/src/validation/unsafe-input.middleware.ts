import type { NextFunction, Request, Response } from 'express';
import { ValidationFailedError, type FieldProblem } from '../errors/domain-errors';
import { UNSAFE_TEXT_MESSAGE, findUnsafeInput, isUnsafeText } from './unsafe-input';

/**
 * A NUL in a path segment (`%00`). Node's parser already refuses NUL in a raw request line and in
 * header values, and Express answers 400 for a segment that is not valid UTF-8, so only the
 * decoded form can smuggle one in.
 */
function unsafePath(path: string): FieldProblem | undefined {
  if (!path.includes('%')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined; // not UTF-8: the router refuses it with a 400 of its own
  }
  return isUnsafeText(decoded) ? { field: 'path', message: UNSAFE_TEXT_MESSAGE } : undefined;
}

/**
 * Refuses, with a 400 naming the field, input that no route could store or safely validate: text
 * with NUL characters or unpaired surrogates (PostgreSQL rejects both, which surfaced as a 500
 * and a stack trace per request), and bodies nested so deeply that validating them would overflow
 * the stack. Runs once per request after the body parsers and before routing, so it covers every
 * route, its guards included; errors are formatted per route family by the exception filter.
 */
export function rejectUnsafeInput(req: Request, _res: Response, next: NextFunction): void {
  const problem =
    unsafePath(req.path) ?? findUnsafeInput(req.query, 'query') ?? findUnsafeInput(req.body as unknown, 'body');
  next(problem ? new ValidationFailedError([problem]) : undefined);
}
