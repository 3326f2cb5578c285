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

/** Documents the error statuses a route can answer, all with the same body. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error', type: ErrorResponseDto }),
    ),
  );
}
