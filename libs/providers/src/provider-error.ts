import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ProviderError } from './chat-provider';

/**
 * What went wrong with a provider call, in terms a caller can act on:
 * - `auth`: the provider refused the service's credentials (401/403): an administrator must fix the key;
 * - `rate_limit`: the provider is throttling or out of quota (429);
 * - `bad_request`: the provider refused this request (another 4xx: too long, bad parameters, no such model);
 * - `unavailable`: the provider failed (5xx), could not be reached, or broke off its answer;
 * - `timeout`: no answer in time;
 * - `unsupported`: the agent names a provider this server cannot call;
 * - `unknown`: anything else.
 */
export type ProviderFailureKind =
  'auth' | 'rate_limit' | 'bad_request' | 'unavailable' | 'timeout' | 'unsupported' | 'unknown';

export interface ProviderFailure {
  kind: ProviderFailureKind;
  /** The provider's HTTP status, when it answered with one. */
  httpStatus?: number;
  /**
   * What users may read: the provider's name, the status, what to do. Never the provider's own
   * words, which can echo a credential, an internal host or another tenant's data.
   */
  safeMessage: string;
  /** Everything known, the provider's words included, for the operators' log only. */
  detail: string;
}

/** The provider's words that mean "the conversation does not fit the model's context". */
const TOO_LONG = /context.length|context.window|maximum.context|too many tokens|prompt is too long|reduce the length/i;

/**
 * Classifies whatever a provider call threw — a {@link ProviderError} from an adapter, an error of
 * the openai SDK (APIError and its subclasses), a network error or a timeout — for the one
 * provider `provider` (its name as agents use it).
 */
export function classifyProviderError(error: unknown, provider: string): ProviderFailure {
  const detail = detailOf(error);
  const failure = (kind: ProviderFailureKind, safeMessage: string, httpStatus?: number): ProviderFailure => ({
    kind,
    safeMessage,
    detail,
    ...(httpStatus !== undefined ? { httpStatus } : {}),
  });
  const name = `The ${provider} provider`;

  if (error instanceof ProviderError) {
    switch (error.kind) {
      case 'http':
        return error.status === undefined
          ? failure('unavailable', `${name} reported an error; try again shortly.`)
          : byStatus(error.status, error.code, error.cause ?? error);
      case 'connection':
        return failure('unavailable', `${name} could not be reached; try again shortly.`);
      case 'timeout':
        return failure('timeout', `${name} did not answer in time; try again shortly.`);
      case 'stream_dropped':
        return failure('unavailable', `${name} broke off its answer before it was complete; try again.`);
      case 'aborted':
        return failure('unknown', `The request to the ${provider} provider was cancelled.`);
      case 'unsupported':
        return failure(
          'unsupported',
          `${name} is not available on this server. Ask an administrator to configure it, or use an agent with another provider.`,
        );
    }
  }
  if (error instanceof APIConnectionTimeoutError) {
    return failure('timeout', `${name} did not answer in time; try again shortly.`);
  }
  if (error instanceof APIUserAbortError) {
    return failure('unknown', `The request to the ${provider} provider was cancelled.`);
  }
  if (error instanceof APIConnectionError) {
    return failure('unavailable', `${name} could not be reached; try again shortly.`);
  }
  if (isAPIError(error) && error.status !== undefined) return byStatus(error.status, error.code, error);
  if (isTimeout(error)) return failure('timeout', `${name} did not answer in time; try again shortly.`);
  if (isNetworkError(error)) return failure('unavailable', `${name} could not be reached; try again shortly.`);
  return failure(
    'unknown',
    `The call to the ${provider} provider failed unexpectedly; try again, and tell an administrator if it persists.`,
  );

  function byStatus(status: number, code: string | null | undefined, cause: unknown): ProviderFailure {
    const http = `(HTTP ${status})`;
    if (status === 401 || status === 403) {
      return failure(
        'auth',
        `${name} rejected the request's credentials ${http}. Ask an administrator to check the provider's API key.`,
        status,
      );
    }
    if (status === 429) {
      return code === 'insufficient_quota'
        ? failure(
            'rate_limit',
            `${name} refused the request: its quota is used up ${http}. Ask an administrator to check the provider account.`,
            status,
          )
        : failure('rate_limit', `${name} is receiving too many requests ${http}; try again shortly.`, status);
    }
    if (status === 408 || status === 409 || status >= 500) {
      return failure('unavailable', `${name} is unavailable ${http}; try again shortly.`, status);
    }
    if (status === 404) {
      return failure(
        'bad_request',
        `${name} refused the request ${http}: the agent's model may not exist there. Ask an administrator to check the agent.`,
        status,
      );
    }
    if (status === 413 || code === 'context_length_exceeded' || TOO_LONG.test(upstreamMessage(cause))) {
      return failure(
        'bad_request',
        `${name} refused the request ${http}: the conversation may be too long for the model. Start a new one or shorten it.`,
        status,
      );
    }
    if (status >= 400) {
      return failure(
        'bad_request',
        `${name} refused the request ${http}: check the request's parameters and the agent's settings.`,
        status,
      );
    }
    return failure('unknown', `${name} answered unexpectedly ${http}; try again shortly.`, status);
  }
}

/** `instanceof` alone would type the SDK error's generic parameters as `any`. */
function isAPIError(error: unknown): error is APIError {
  return error instanceof APIError;
}

function upstreamMessage(error: unknown): string {
  return error instanceof Error ? error.message : typeof error === 'string' ? error : '';
}

function isTimeout(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown } | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT' || e.code === 'UND_ERR_HEADERS_TIMEOUT')
  );
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'EPIPE']);

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'));
}

/** The whole chain of messages and codes, for the log. */
function detailOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      parts.push(`${current.message}${typeof code === 'string' && code ? ` [${code}]` : ''}`);
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : JSON.stringify(current));
      break;
    }
  }
  return parts.filter((part, i) => part && parts.indexOf(part) === i).join(' <- ');
}
