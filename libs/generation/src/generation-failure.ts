import { Logger } from '@nestjs/common';
import { classifyProviderError, type ProviderFailureKind } from '@agents/providers';

/** Why a generation failed, for transports that answer with a status (the OpenAI-compatible API). */
export interface GenerationFailure {
  kind: ProviderFailureKind;
  /** The provider's HTTP status, when it answered with one. */
  httpStatus?: number;
}

const logger = new Logger('Generation');

/**
 * A provider call (or its setup) that failed a generation: classified once, logged once with
 * everything the provider said — for operators, in the worker's log — and turned into what users
 * may read (the stream's `error`, the status route, an OpenAI-compatible error body), which never
 * repeats the provider's words: they can echo a credential or an internal host.
 */
export function providerFailed(
  err: unknown,
  context: { streamId: string; provider: string },
): { error: string; failure: GenerationFailure } {
  const classified = classifyProviderError(err, context.provider);
  const status = classified.httpStatus;
  logger.warn(
    {
      streamId: context.streamId,
      provider: context.provider,
      kind: classified.kind,
      status,
      upstream: classified.detail,
    },
    `Generation for stream ${context.streamId} failed: ${context.provider} ${classified.kind}` +
      `${status !== undefined ? ` (HTTP ${status})` : ''}: ${classified.detail}`,
  );
  return {
    error: classified.safeMessage,
    failure: { kind: classified.kind, ...(status !== undefined ? { httpStatus: status } : {}) },
  };
}
