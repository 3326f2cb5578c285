/** A field-level problem reported in the `details` of a 400. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Errors services throw. They carry no HTTP knowledge; each transport maps them once
 * (see HttpExceptionFilter).
 */
export abstract class DomainError extends Error {
  abstract readonly kind:
    | 'validation'
    | 'unauthenticated'
    | 'forbidden'
    | 'not_found'
    | 'conflict'
    | 'precondition_failed'
    | 'unprocessable'
    | 'too_large'
    | 'unsupported_media_type'
    | 'too_many'
    | 'unavailable';
}

export class ValidationFailedError extends DomainError {
  readonly kind = 'validation';
  constructor(
    readonly details: FieldProblem[],
    message = details.map((d) => `${d.field}: ${d.message}`).join('; '),
  ) {
    super(message);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly kind = 'unauthenticated';
}

export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden';
}

export class NotFoundError extends DomainError {
  readonly kind = 'not_found';
}

export class ConflictError extends DomainError {
  readonly kind = 'conflict';
}

export class PreconditionFailedError extends DomainError {
  readonly kind = 'precondition_failed';
}

/** Well-formed but contradicting what the server already holds (e.g. an idempotency key reused with another body). */
export class UnprocessableError extends DomainError {
  readonly kind = 'unprocessable';
}

/** The request carries more than a limit allows (an upload over the size limit or the user's quota). */
export class PayloadTooLargeError extends DomainError {
  readonly kind = 'too_large';
  constructor(
    readonly details: FieldProblem[],
    message = details.map((d) => `${d.field}: ${d.message}`).join('; '),
  ) {
    super(message);
  }
}

/** Content of a type the route does not accept, or not the type it claims to be. */
export class UnsupportedMediaTypeError extends DomainError {
  readonly kind = 'unsupported_media_type';
  constructor(
    readonly details: FieldProblem[],
    message = details.map((d) => `${d.field}: ${d.message}`).join('; '),
  ) {
    super(message);
  }
}

/** The caller is over a limit (rate or concurrency); `retryAfterSeconds` becomes Retry-After. */
export class TooManyRequestsError extends DomainError {
  readonly kind = 'too_many';
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** A dependency (database, Redis) is not reachable right now. */
export class ServiceUnavailableError extends DomainError {
  readonly kind = 'unavailable';
}
