import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type {
  Base64ImageSource,
  ContentBlockParam,
  MessageCreateParamsStreaming,
  RawMessageStreamEvent,
} from '@anthropic-ai/sdk/resources/messages';
import { type ChatRequest, type FinishReason, ProviderError, type ProviderEvent } from './chat-provider';
import { type ErrorContext, isRetryableStatus, parseRetryAfter } from './openai.mapping';

/**
 * Pure translations between the provider-neutral types and Anthropic's Messages API. Kept apart
 * from the adapter so each rule is unit-testable without a server.
 */

/** Anthropic requires `max_tokens`; this is used when the agent sets none. */
export const DEFAULT_MAX_TOKENS = 4096;

type ImageMediaType = Base64ImageSource['media_type'];
const IMAGE_TYPES: ReadonlySet<string> = new Set<ImageMediaType>([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
]);

/**
 * The request body. SDK 1.x no longer declares the sampling parameters (Anthropic deprecated them
 * for its newest models), but the API still accepts them for the models that support them, and
 * the SDK sends the body as given.
 */
export type AnthropicStreamingRequest = MessageCreateParamsStreaming & {
  temperature?: number;
  top_p?: number;
  top_k?: number;
};

/**
 * Builds the streaming request body. Instructions become `system`; tool results become
 * `tool_result` blocks of a user message; consecutive messages of one role are merged, because
 * Anthropic requires user and assistant turns to alternate.
 */
export function toAnthropicRequest(request: ChatRequest): AnthropicStreamingRequest {
  const messages: Array<{ role: 'user' | 'assistant'; content: ContentBlockParam[] }> = [];
  const append = (role: 'user' | 'assistant', blocks: ContentBlockParam[]): void => {
    if (blocks.length === 0) return; // Anthropic rejects empty content
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };

  for (const message of request.messages) {
    switch (message.role) {
      case 'user':
        append('user', [
          ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
          ...(message.images ?? []).map((image): ContentBlockParam => ({
            type: 'image',
            source: { type: 'base64', media_type: toImageMediaType(image.mimeType), data: image.data },
          })),
        ]);
        break;
      case 'assistant':
        append('assistant', [
          ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
          ...(message.toolCalls ?? []).map((call): ContentBlockParam => ({
            type: 'tool_use',
            id: call.id,
            name: call.name,
            input: parseArguments(call.arguments),
          })),
        ]);
        break;
      case 'tool':
        append('user', [{ type: 'tool_result', tool_use_id: message.toolCallId, content: message.content }]);
        break;
    }
  }

  const p = request.parameters ?? {};
  const thinkingBudget = p.thinking_budget;
  const body: AnthropicStreamingRequest = {
    model: request.model,
    messages,
    // The budget counts against max_tokens, so the default leaves room for an answer after it.
    max_tokens:
      p.max_tokens ?? (thinkingBudget !== undefined ? thinkingBudget + DEFAULT_MAX_TOKENS : DEFAULT_MAX_TOKENS),
    stream: true,
  };
  if (request.instructions) body.system = request.instructions;
  if (p.temperature !== undefined) body.temperature = p.temperature;
  if (p.top_p !== undefined) body.top_p = p.top_p;
  if (p.top_k !== undefined) body.top_k = p.top_k;
  if (p.stop !== undefined && p.stop.length > 0) body.stop_sequences = p.stop;
  if (thinkingBudget !== undefined) body.thinking = { type: 'enabled', budget_tokens: thinkingBudget };
  // frequency_penalty, presence_penalty, reasoning_effort and verbosity are not part of Anthropic's protocol.
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      input_schema: { ...tool.parameters, type: 'object' as const },
      ...(tool.description !== undefined ? { description: tool.description } : {}),
    }));
  }
  return body;
}

function toImageMediaType(mimeType: string): ImageMediaType {
  const type = mimeType.toLowerCase();
  // Anything else is refused by Anthropic with a 400 that names the type; sent as given.
  return (IMAGE_TYPES.has(type) ? type : mimeType) as ImageMediaType;
}

/** A replayed call's JSON arguments as the object Anthropic wants; text that is not a JSON object becomes `{}`. */
function parseArguments(text: string): Record<string, unknown> {
  if (!text.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** What one stream event contributes: deltas to yield now, plus a finish reason and token counts for the end. */
export interface StreamEventContent {
  events: ProviderEvent[];
  finishReason?: FinishReason;
  /** All input tokens, cache reads and writes included. */
  inputTokens?: number;
  /** The part of `inputTokens` read from the prompt cache. */
  cacheReadTokens?: number;
  /** The part of `inputTokens` written to the prompt cache. */
  cacheWriteTokens?: number;
  outputTokens?: number;
}

export function fromStreamEvent(event: RawMessageStreamEvent): StreamEventContent {
  switch (event.type) {
    case 'message_start': {
      const usage = event.message.usage;
      return { events: [], ...inputCountsOf(usage), outputTokens: usage.output_tokens ?? undefined };
    }
    case 'content_block_start': {
      const block = event.content_block;
      if (block.type === 'tool_use') {
        return { events: [{ type: 'tool_call', index: event.index, id: block.id, name: block.name, argsDelta: '' }] };
      }
      if (block.type === 'text' && block.text) return { events: [{ type: 'text', text: block.text }] };
      if (block.type === 'thinking' && block.thinking) return { events: [{ type: 'reasoning', text: block.thinking }] };
      return { events: [] };
    }
    case 'content_block_delta': {
      const delta = event.delta;
      switch (delta.type) {
        case 'text_delta':
          return { events: delta.text ? [{ type: 'text', text: delta.text }] : [] };
        case 'thinking_delta':
          return { events: delta.thinking ? [{ type: 'reasoning', text: delta.thinking }] : [] };
        case 'input_json_delta':
          return { events: [{ type: 'tool_call', index: event.index, argsDelta: delta.partial_json }] };
        case 'signature_delta': // the thinking block's signature, for replaying it: nothing to show
        case 'citations_delta':
          return { events: [] };
      }
      // A delta type newer than this SDK's types.
      return { events: [] };
    }
    case 'message_delta': {
      // Newer API versions repeat the (final) input counts here; they win over message_start's.
      const repeated = event.usage.input_tokens !== null && event.usage.input_tokens !== undefined;
      const content: StreamEventContent = {
        events: [],
        outputTokens: event.usage.output_tokens,
        ...(repeated ? inputCountsOf(event.usage) : {}),
      };
      if (event.delta.stop_reason) content.finishReason = toFinishReason(event.delta.stop_reason);
      return content;
    }
    case 'content_block_stop':
    case 'message_stop':
      return { events: [] };
    default:
      return { events: [] };
  }
}

/**
 * Anthropic's `input_tokens` counts only the tokens after the last cache breakpoint; the neutral
 * prompt count is all three parts, with the cache reads and writes also reported on their own.
 */
function inputCountsOf(usage: {
  input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}): Pick<StreamEventContent, 'inputTokens' | 'cacheReadTokens' | 'cacheWriteTokens'> {
  const read = usage.cache_read_input_tokens ?? undefined;
  const written = usage.cache_creation_input_tokens ?? undefined;
  return {
    inputTokens: (usage.input_tokens ?? 0) + (read ?? 0) + (written ?? 0),
    ...(read !== undefined ? { cacheReadTokens: read } : {}),
    ...(written !== undefined ? { cacheWriteTokens: written } : {}),
  };
}

export function toFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}

/** Maps whatever the SDK (or the fetch underneath it) threw to a ProviderError the worker can act on. */
export function toProviderError(error: unknown, context: ErrorContext): ProviderError {
  if (error instanceof ProviderError) return error;
  const { provider, started } = context;

  // Our own AbortController fired; the SDK only knows "the user aborted", we know why.
  if (context.abortCause === 'caller') {
    return new ProviderError('aborted', `The request to ${provider} was aborted`, { cause: error });
  }
  if (context.abortCause === 'timeout' || error instanceof APIConnectionTimeoutError) {
    return new ProviderError('timeout', `${provider} sent no first token within ${context.firstTokenTimeoutMs} ms`, {
      retryable: false,
      cause: error,
    });
  }
  if (context.abortCause === 'stall') {
    return new ProviderError(
      'stream_dropped',
      `The stream from ${provider} stalled: nothing for ${context.firstTokenTimeoutMs} ms`,
      { cause: error },
    );
  }
  if (error instanceof APIUserAbortError) {
    return new ProviderError('aborted', `The request to ${provider} was aborted`, { cause: error });
  }
  if (error instanceof APIConnectionError) {
    return started
      ? streamDropped(provider, error)
      : new ProviderError('connection', `Could not reach ${provider}: ${causeMessage(error)}`, {
          retryable: true,
          cause: error,
        });
  }
  if (isAPIError(error)) {
    const type = errorType(error);
    if (error.status === undefined) {
      // An `event: error` inside an otherwise successful stream, e.g. overloaded_error.
      return new ProviderError(
        'stream_dropped',
        `${provider} reported an error mid-stream: ${providerMessage(error)}`,
        {
          // Safe to send again only when nothing reached the user yet.
          retryable: !started && type === 'overloaded_error',
          code: type,
          cause: error,
        },
      );
    }
    return new ProviderError('http', `${provider} answered ${error.status}: ${providerMessage(error)}`, {
      status: error.status,
      retryable: !started && isRetryableStatus(error.status),
      retryAfterMs: parseRetryAfter(error.headers),
      code: type,
      cause: error,
    });
  }
  // fetch's body reader fails with a bare TypeError ("terminated") when the socket closes mid-body.
  return streamDropped(provider, error);
}

/** `instanceof` alone would type the SDK error's generic parameters as `any`. */
function isAPIError(error: unknown): error is APIError {
  return error instanceof APIError;
}

/** Anthropic's `error.type` (`overloaded_error`, `rate_limit_error`, …), from the SDK or the body. */
function errorType(error: APIError): string | undefined {
  return error.type ?? bodyField(error, 'type');
}

/** A string field of the error body's `error` object. */
function bodyField(error: APIError, key: 'type' | 'message'): string | undefined {
  const body: unknown = error.error;
  if (!body || typeof body !== 'object' || !('error' in body)) return undefined;
  const inner: unknown = body.error;
  if (!inner || typeof inner !== 'object' || !(key in inner)) return undefined;
  const value: unknown = (inner as Record<string, unknown>)[key];
  return typeof value === 'string' && value ? value : undefined;
}

function streamDropped(provider: string, error: unknown): ProviderError {
  return new ProviderError('stream_dropped', `The stream from ${provider} broke off: ${causeMessage(error)}`, {
    cause: error,
  });
}

/** The provider's own words (`error.message` of its error body), without the SDK's status prefix. */
function providerMessage(error: APIError): string {
  return error.apiMessage || bodyField(error, 'message') || error.message;
}

/** The most specific message of an error chain: "other side closed" says more than "terminated". */
function causeMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  return cause instanceof Error && cause.message ? `${error.message} (${cause.message})` : error.message;
}
