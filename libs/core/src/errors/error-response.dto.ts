import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

export class FieldProblemDto {
  /** @example "model_parameters.temperature" */
  field!: string;
  /** @example "model_parameters.temperature must not be greater than 2" */
  message!: string;
}

/** The error body of every route outside the OpenAI-compatible API. */
export class ErrorResponseDto {
  /** @example "Bad Request" */
  error!: string;
  /** @example "model_parameters.temperature: model_parameters.temperature must not be greater than 2" */
  message!: string;
  /** Each invalid field, on a 400. */
  details?: FieldProblemDto[];
  /** Correlation id of a 500, also in the server log. */
  requestId?: string;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; `details` names each bad field',
  401: 'Missing or invalid credentials',
  403: 'The caller lacks the permission this route needs',
  404: 'Unknown id, or a resource the caller may not see',
  409: 'Conflict with the current state',
  412: 'If-Match names a version that is no longer current',
  422: 'Well-formed, but contradicts an earlier request (e.g. an idempotency key reused with another body)',
  413: 'Body larger than 1 MiB',
  429: 'Rate limited; see Retry-After',
  503: 'A dependency (database or Redis) is unavailable',
};

/**
 * What each status really answers, so Swagger UI shows a 401 as a 401 (the schema's own example is
 * a 400's). The `error` word is the status' reason phrase, as the exception filter writes it.
 */
export const ERROR_EXAMPLES: Record<number, ErrorResponseDto> = {
  400: {
    error: 'Bad Request',
    message: 'model_parameters.temperature: model_parameters.temperature must not be greater than 2',
    details: [
      { field: 'model_parameters.temperature', message: 'model_parameters.temperature must not be greater than 2' },
    ],
  },
  401: { error: 'Unauthorized', message: 'A valid bearer token is required' },
  403: { error: 'Forbidden', message: 'You do not have the EDIT permission on this agent' },
  404: { error: 'Not Found', message: 'Agent agent_V1StGXR8Z5jdHi6B not found' },
  409: { error: 'Conflict', message: 'A generation is already running in this conversation; wait for it or abort it' },
  412: { error: 'Precondition Failed', message: 'The agent changed since version 3; read it again and retry' },
  413: { error: 'Payload Too Large', message: 'The request body is larger than 1 MiB' },
  422: {
    error: 'Unprocessable Entity',
    message: 'This idempotency key was already used with a different request; use a new key for a new message',
  },
  429: { error: 'Too Many Requests', message: 'Too many requests; retry after the time in Retry-After' },
  503: { error: 'Service Unavailable', message: 'The database is unavailable; try again shortly' },
};

/** Documents the error statuses a route can answer, all with the same body, each with its own example. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        type: ErrorResponseDto,
        ...(ERROR_EXAMPLES[status] ? { example: ERROR_EXAMPLES[status] } : {}),
      }),
    ),
  );
}
