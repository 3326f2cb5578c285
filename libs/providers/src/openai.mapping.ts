import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import {
  type ChatRequest,
  type FinishReason,
  ProviderError,
  type ProviderEvent,
  type TokenUsage,
} from './chat-provider';
import type { AbortCause } from './provider-stream';

/**
 * Pure translations between the provider-neutral types and OpenAI's chat-completions protocol.
 * Kept apart from the adapter so each rule is unit-testable without a server.
 */

/** Builds the streaming request body: instructions become the system message, history follows. */
export function toOpenAIRequest(request: ChatRequest): ChatCompletionCreateParamsStreaming {
  const messages: ChatCompletionMessageParam[] = [];
  if (request.instructions) messages.push({ role: 'system', content: request.instructions });
  for (const message of request.messages) {
    switch (message.role) {
      case 'user':
        messages.push(
          message.images && message.images.length > 0
            ? {
                role: 'user',
                content: [
                  ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
                  ...message.images.map((image) => ({
                    type: 'image_url' as const,
                    image_url: { url: `data:${image.mimeType};base64,${image.data}` },
                  })),
                ],
              }
            : { role: 'user', content: message.content },
        );
        break;
      case 'assistant':
        messages.push(
          message.toolCalls && message.toolCalls.length > 0
            ? {
                role: 'assistant',
                // OpenAI wants null rather than "" next to tool calls; some compatible servers reject "".
                content: message.content || null,
                tool_calls: message.toolCalls.map((call) => ({
                  id: call.id,
                  type: 'function' as const,
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
            : { role: 'assistant', content: message.content },
        );
        break;
      case 'tool':
        messages.push({ role: 'tool', tool_call_id: message.toolCallId, content: message.content });
        break;
    }
  }

  const p = request.parameters ?? {};
  const body: ChatCompletionCreateParamsStreaming = {
    model: request.model,
    messages,
    stream: true,
    // Without this, OpenAI sends no token counts on streamed answers.
    stream_options: { include_usage: true },
  };
  if (p.temperature !== undefined) body.temperature = p.temperature;
  if (p.top_p !== undefined) body.top_p = p.top_p;
  // `max_tokens` rather than `max_completion_tokens`: every OpenAI-compatible server understands it.
  if (p.max_tokens !== undefined) body.max_tokens = p.max_tokens;
  if (p.frequency_penalty !== undefined) body.frequency_penalty = p.frequency_penalty;
  if (p.presence_penalty !== undefined) body.presence_penalty = p.presence_penalty;
  if (p.stop !== undefined && p.stop.length > 0) body.stop = p.stop;
  if (p.reasoning_effort !== undefined) body.reasoning_effort = p.reasoning_effort;
  if (p.verbosity !== undefined) body.verbosity = p.verbosity;
  // top_k is not part of OpenAI's protocol; it is meant for the Anthropic and Google adapters.
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function' as const,
      function: {
        name: tool.name,
        parameters: tool.parameters,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
      },
    }));
  }
  return body;
}

/**
 * OpenAI-compatible servers put reasoning ("thinking") text in fields OpenAI's own types do not
 * declare: `reasoning_content` (DeepSeek, vLLM, LiteLLM) or `reasoning` (OpenRouter, Ollama).
 */
type CompatibleDelta = ChatCompletionChunk.Choice.Delta & {
  reasoning_content?: string | null;
  reasoning?: string | null;
};

/** What one chunk contributes: the deltas to yield now, plus a finish reason and usage to report at the end. */
export interface ChunkContent {
  events: ProviderEvent[];
  finishReason?: FinishReason;
  usage?: TokenUsage;
}

export function fromChunk(chunk: ChatCompletionChunk): ChunkContent {
  const content: ChunkContent = { events: [] };
  // We never ask for n > 1, so only the first choice matters.
  const choice = chunk.choices.find((c) => c.index === 0);
  if (choice) {
    const delta: CompatibleDelta = choice.delta ?? {};
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (reasoning) content.events.push({ type: 'reasoning', text: reasoning });
    if (delta.content) content.events.push({ type: 'text', text: delta.content });
    for (const call of delta.tool_calls ?? []) {
      content.events.push({
        type: 'tool_call',
        index: call.index,
        ...(call.id ? { id: call.id } : {}),
        ...(call.function?.name ? { name: call.function.name } : {}),
        argsDelta: call.function?.arguments ?? '',
      });
    }
    if (choice.finish_reason) content.finishReason = toFinishReason(choice.finish_reason);
  }
  if (chunk.usage) content.usage = usageOf(chunk.usage);
  return content;
}

/**
 * OpenAI's counts: reasoning tokens are part of the completion tokens and cached tokens part of the
 * prompt tokens already. Compatible servers often send no details, or null ones: those stay absent.
 */
export function usageOf(usage: NonNullable<ChatCompletionChunk['usage']>): TokenUsage {
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  const cached = usage.prompt_tokens_details?.cached_tokens;
  return {
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: usage.completion_tokens ?? 0,
    ...(typeof reasoning === 'number' ? { reasoningTokens: reasoning } : {}),
    ...(typeof cached === 'number' ? { cachedTokens: cached } : {}),
  };
}

export function toFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'stop':
    case 'length':
    case 'tool_calls':
    case 'content_filter':
      return reason;
    case 'function_call': // the legacy name of tool_calls
      return 'tool_calls';
    default:
      return 'other';
  }
}

/** The statuses OpenAI's own SDK would retry: the request may succeed if sent again unchanged. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * How long the provider asked us to wait: OpenAI's `retry-after-ms`, else the standard
 * `Retry-After` as seconds or an HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface ErrorContext {
  provider: string;
  /** Whether any event was yielded: after that, nothing may be retried. */
  started: boolean;
  abortCause: AbortCause;
  firstTokenTimeoutMs: number;
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
    if (error.status === undefined) {
      // An `error` object inside an otherwise successful event stream.
      return new ProviderError(
        'stream_dropped',
        `${provider} reported an error mid-stream: ${providerMessage(error)}`,
        {
          code: error.code ?? undefined,
          cause: error,
        },
      );
    }
    return new ProviderError('http', `${provider} answered ${error.status}: ${providerMessage(error)}`, {
      status: error.status,
      retryable: !started && isRetryableStatus(error.status),
      retryAfterMs: parseRetryAfter(error.headers),
      code: error.code ?? undefined,
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

function streamDropped(provider: string, error: unknown): ProviderError {
  return new ProviderError('stream_dropped', `The stream from ${provider} broke off: ${causeMessage(error)}`, {
    cause: error,
  });
}

/** The provider's own words (`error.message` of its error body), without the SDK's status prefix. */
function providerMessage(error: APIError): string {
  const body = error.error;
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string' && body.message) {
    return body.message;
  }
  return error.message;
}

/** The most specific message of an error chain: "other side closed" says more than "terminated". */
function causeMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  return cause instanceof Error && cause.message ? `${error.message} (${cause.message})` : error.message;
}
