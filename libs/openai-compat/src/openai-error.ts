import { HttpException } from '@nestjs/common';
import {
  DomainError,
  TooManyRequestsError,
  UNAVAILABLE_RETRY_AFTER_SECONDS,
  ValidationFailedError,
  isDatabaseUnavailable,
  type ErrorFormatter,
} from '@agents/core';
import type { CompletionResult } from '@agents/chat';
import { isRecord } from './openai-validators';

/** The prefix of every OpenAI-compatible route; errors under it use OpenAI's envelope. */
export const OPENAI_COMPAT_PREFIX = '/api/agents/v1';

/** OpenAI's error envelope (docs/http-api.md § OpenAI-compatible API). */
export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

/**
 * An error already in OpenAI's terms: status, `type`, `code` and the offending `param`. Services
 * of this library throw it where the generic domain mapping would be too vague (a bad parameter,
 * an unknown response id).
 */
export class OpenAIError extends Error {
  override readonly name = 'OpenAIError';
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null,
    readonly param: string | null = null,
    readonly retryAfterSeconds?: number,
    /** The exact wait, for `retry-after-ms`; the whole seconds of retryAfterSeconds otherwise. */
    private readonly retryAfterMilliseconds?: number,
  ) {
    super(message);
  }

  /**
   * Retry-After (whole seconds, for every HTTP client) and retry-after-ms (what OpenAI's SDKs read
   * first), when the caller should retry after a wait.
   */
  retryHeaders(): Record<string, string> {
    if (this.retryAfterSeconds === undefined) return {};
    return {
      'Retry-After': String(this.retryAfterSeconds),
      'retry-after-ms': String(this.retryAfterMilliseconds ?? this.retryAfterSeconds * 1000),
      // OpenAI's SDKs retry every 429 unless told not to: a used-up budget stays so until it resets.
      ...(this.code === 'insufficient_quota' ? { 'x-should-retry': 'false' } : {}),
    };
  }

  /** A 429 for a used-up budget, in OpenAI's words for a used-up quota. */
  static budgetExceeded(message: string, retryAfterSeconds: number): OpenAIError {
    return new OpenAIError(429, message, 'insufficient_quota', 'insufficient_quota', null, retryAfterSeconds);
  }

  /** A 400 naming the parameter, like OpenAI's. */
  static invalidRequest(message: string, param: string | null, code: string | null = 'invalid_value'): OpenAIError {
    return new OpenAIError(400, message, 'invalid_request_error', code, param);
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

/** Body-parser errors (malformed JSON, 413) reach the filter before any route does. */
function bodyParserError(e: unknown): { type: string; status: number } | undefined {
  if (!(e instanceof Error) && !isRecord(e)) return undefined;
  const type: unknown = Reflect.get(e, 'type');
  const status: unknown = Reflect.get(e, 'status');
  return typeof type === 'string' && typeof status === 'number' ? { type, status } : undefined;
}

/** Maps any error thrown on an OpenAI-compatible route (guards, pipes, services, the body parser) to OpenAI's envelope. */
export function toOpenAIError(exception: unknown, requestId: string): OpenAIError {
  if (exception instanceof OpenAIError) return exception;
  if (exception instanceof DomainError) {
    switch (exception.kind) {
      case 'validation': {
        const first = exception instanceof ValidationFailedError ? exception.details[0] : undefined;
        return OpenAIError.invalidRequest(exception.message, first?.field ?? null);
      }
      case 'unauthenticated':
        return new OpenAIError(401, exception.message, 'invalid_request_error', 'invalid_api_key');
      case 'forbidden':
        return new OpenAIError(403, exception.message, 'permission_error', 'permission_error');
      case 'not_found':
        // On these routes the one thing a caller names and may not see is the model (an agent).
        return new OpenAIError(404, exception.message, 'invalid_request_error', 'model_not_found', 'model');
      case 'conflict':
        return new OpenAIError(409, exception.message, 'invalid_request_error', 'conflict');
      case 'precondition_failed':
        return new OpenAIError(412, exception.message, 'invalid_request_error', 'precondition_failed');
      case 'unprocessable':
        return new OpenAIError(422, exception.message, 'invalid_request_error', 'unprocessable_entity');
      case 'too_large':
        return new OpenAIError(413, exception.message, 'invalid_request_error', 'payload_too_large');
      case 'unsupported_media_type':
        return new OpenAIError(415, exception.message, 'invalid_request_error', 'unsupported_media_type');
      case 'too_many':
        return new OpenAIError(
          429,
          exception.message,
          'requests',
          'rate_limit_exceeded',
          null,
          exception instanceof TooManyRequestsError ? exception.retryAfterSeconds : 1,
        );
      case 'unavailable':
        return unavailable(exception.message);
    }
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 401) return new OpenAIError(401, exception.message, 'invalid_request_error', 'invalid_api_key');
    if (status === 403) return new OpenAIError(403, exception.message, 'permission_error', 'permission_error');
    if (status === 404) {
      return new OpenAIError(404, exception.message, 'invalid_request_error', 'unknown_url');
    }
    if (status === 413) return tooLarge();
    if (status === 429) return new OpenAIError(429, exception.message, 'requests', 'rate_limit_exceeded');
    if (status < 500) return new OpenAIError(status, exception.message, 'invalid_request_error', null);
  }
  const parser = bodyParserError(exception);
  if (parser && parser.status >= 400 && parser.status < 500) {
    if (parser.type === 'entity.too.large') return tooLarge();
    if (parser.type === 'entity.parse.failed') {
      return OpenAIError.invalidRequest('The request body is not valid JSON', null, 'invalid_json');
    }
    return new OpenAIError(parser.status, 'The request body could not be read', 'invalid_request_error', null);
  }
  if (isDatabaseUnavailable(exception)) return unavailable('The database is unavailable; try again shortly');
  return new OpenAIError(
    500,
    `An unexpected error occurred; quote request id ${requestId} when reporting it`,
    'server_error',
    null,
  );
}

/**
 * A generation that failed, in OpenAI's terms. `message` is already fit for users (the worker never
 * forwards a provider's own words). The status follows the failure's cause: a provider that refused
 * this request (too long, bad parameters) is the caller's 400 and a provider's rate limit a 429;
 * a provider that failed, was unreachable, was too slow or refused our credentials is a 502/504
 * (the gateway's upstream failed); anything else a 500.
 */
export function generationFailed(message: string, failure?: CompletionResult['failure']): OpenAIError {
  switch (failure?.kind) {
    case 'bad_request':
      return new OpenAIError(400, message, 'invalid_request_error', 'provider_rejected_request');
    case 'rate_limit':
      return new OpenAIError(429, message, 'requests', 'rate_limit_exceeded');
    case 'auth':
      return new OpenAIError(502, message, 'server_error', 'provider_auth_failed');
    case 'unavailable':
      return new OpenAIError(502, message, 'server_error', 'provider_unavailable');
    case 'timeout':
      return new OpenAIError(504, message, 'server_error', 'provider_timeout');
    case 'unsupported':
    case 'unknown':
    case undefined:
      return new OpenAIError(500, message, 'server_error', 'generation_failed');
  }
}

/**
 * The `error.code` of a failed Responses object, from OpenAI's own list: a provider that refused
 * the request is `invalid_prompt` (the input is the caller's to change), a provider's rate limit
 * `rate_limit_exceeded`, anything else `server_error`.
 */
export function responseErrorCode(
  failure?: CompletionResult['failure'],
): 'invalid_prompt' | 'rate_limit_exceeded' | 'server_error' {
  switch (failure?.kind) {
    case 'bad_request':
      return 'invalid_prompt';
    case 'rate_limit':
      return 'rate_limit_exceeded';
    case 'auth':
    case 'unavailable':
    case 'timeout':
    case 'unsupported':
    case 'unknown':
    case undefined:
      return 'server_error';
  }
}

function unavailable(message: string): OpenAIError {
  return new OpenAIError(503, message, 'server_error', 'service_unavailable', null, UNAVAILABLE_RETRY_AFTER_SECONDS);
}

function tooLarge(): OpenAIError {
  return new OpenAIError(
    413,
    'The request body is larger than the 1 MiB limit',
    'invalid_request_error',
    'request_too_large',
  );
}

/** The global exception filter's formatter for {@link OPENAI_COMPAT_PREFIX}. */
export const formatOpenAIError: ErrorFormatter = (exception, requestId) => {
  const error = toOpenAIError(exception, requestId);
  return {
    status: error.status,
    body: error.toBody(),
    headers: error.retryAfterSeconds !== undefined ? error.retryHeaders() : undefined,
  };
};
