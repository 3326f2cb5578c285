import {
  Catch,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, TooManyRequestsError, type FieldProblem } from './domain-errors';
import { isDatabaseUnavailable } from './database-errors';

/**
 * What a 503 asks clients to wait before retrying: a dependency that dropped a connection (a
 * restarted or failed-over database, a terminated backend) is usually back within a second or two.
 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/** The error body of every non-OpenAI route (docs/http-api.md § Errors). */
export interface ErrorBody {
  error: string;
  message: string;
  details?: FieldProblem[];
  requestId?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const DOMAIN_STATUS: Record<DomainError['kind'], number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  unprocessable: 422,
  too_large: 413,
  unsupported_media_type: 415,
  too_many: 429,
  unavailable: 503,
};

/** Errors thrown by Express' body parser carry `type` and `status`. */
interface BodyParserError {
  type: string;
  status: number;
  message: string;
}

function isBodyParserError(e: unknown): e is BodyParserError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as BodyParserError).type === 'string' &&
    typeof (e as BodyParserError).status === 'number'
  );
}

/** Turns an error into another transport's body, for routes whose clients expect another shape. */
export type ErrorFormatter = (
  exception: unknown,
  requestId: string,
) => { status: number; body: unknown; headers?: Record<string, string> };

/**
 * Which routes answer errors in another transport's shape: formatters by path prefix, covering
 * errors raised before routing too (malformed JSON, 413, unknown route). One per app, held by
 * its exception filter; the OpenAI-compatible API registers its envelope this way.
 */
@Injectable()
export class ErrorFormatters {
  private readonly byPrefix = new Map<string, ErrorFormatter>();

  /** Formats every error under `prefix` with `format` instead of the default `{error, message, details?}`. */
  register(prefix: string, format: ErrorFormatter): void {
    this.byPrefix.set(prefix, format);
  }

  for(url: string): ErrorFormatter | undefined {
    const path = url.split('?')[0] ?? url;
    for (const [prefix, format] of this.byPrefix) {
      if (path === prefix || path.startsWith(`${prefix}/`)) return format;
    }
    return undefined;
  }
}

/** Maps every error to `{error, message, details?}` with a truthful status; never leaks internals. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly formatters: ErrorFormatters = new ErrorFormatters()) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    const custom = this.formatters.for(req.originalUrl)?.(exception, String(req.id ?? ''));
    const { status, body } = custom ?? this.toBody(exception, String(req.id ?? ''));
    if (status >= 500) {
      this.logger.error(
        { err: exception, requestId: req.id, path: req.originalUrl },
        `${status} ${req.method} ${req.originalUrl}`,
      );
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (exception instanceof TooManyRequestsError) {
      res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    } else if (status === 503) {
      res.setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    }
    for (const [name, value] of Object.entries(custom?.headers ?? {})) res.setHeader(name, value);
    res.status(status).json(body);
  }

  toBody(exception: unknown, requestId: string): { status: number; body: ErrorBody } {
    if (exception instanceof DomainError) {
      const status = DOMAIN_STATUS[exception.kind];
      const body: ErrorBody = { error: TITLES[status] ?? 'Error', message: exception.message };
      if ('details' in exception && Array.isArray(exception.details)) body.details = exception.details;
      return { status, body };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const body: ErrorBody = { error: TITLES[status] ?? 'Error', message: exception.message };
      if (typeof response === 'object' && response !== null) {
        const r = response as { message?: unknown; details?: unknown };
        if (typeof r.message === 'string') body.message = r.message;
        else if (Array.isArray(r.message)) body.message = r.message.join('; ');
        if (Array.isArray(r.details)) body.details = r.details as FieldProblem[];
      }
      return { status, body };
    }
    if (isBodyParserError(exception) && exception.status >= 400 && exception.status < 500) {
      const status = exception.status;
      const message =
        exception.type === 'entity.too.large'
          ? 'The request body is larger than the 1 MiB limit'
          : exception.type === 'entity.parse.failed'
            ? 'The request body is not valid JSON'
            : exception.message;
      return { status, body: { error: TITLES[status] ?? 'Bad Request', message } };
    }
    if (isDatabaseUnavailable(exception)) {
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        body: { error: TITLES[503], message: 'The database is unavailable; try again shortly' },
      };
    }
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: {
        error: TITLES[500],
        message: `An unexpected error occurred; quote request id ${requestId} when reporting it`,
        requestId,
      },
    };
  }
}
