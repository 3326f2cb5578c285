/**
 * The provider-neutral streaming contract the worker drives. Each vendor adapter (OpenAI and
 * OpenAI-compatible endpoints today; Anthropic and Google later) turns its own wire protocol into
 * these events and its own failures into {@link ProviderError}, so the agent loop never needs to
 * know which SDK answered.
 */

/** A tool call the model made earlier in the conversation, replayed as history. */
export interface ChatToolCall {
  id: string;
  name: string;
  /** The arguments exactly as the model produced them: a JSON text. */
  arguments: string;
}

/** An image the user gave the model with a message: a PNG, JPEG, GIF or WebP, as base64. */
export interface ChatImage {
  mimeType: string;
  /** The image's bytes, base64 (no `data:` prefix). */
  data: string;
}

/**
 * One turn of history. The system prompt is not a message: it is {@link ChatRequest.instructions}.
 * A user message's `images` are given to the model after its text.
 */
export type ChatMessage =
  | { role: 'user'; content: string; images?: ChatImage[] }
  | { role: 'assistant'; content: string; toolCalls?: ChatToolCall[] }
  | { role: 'tool'; content: string; toolCallId: string };

/**
 * Sampling parameters, named like the agent's `model_parameters` (docs/http-api.md § Agents) so the
 * worker passes them through unchanged. An adapter ignores what its vendor does not understand.
 */
export interface ChatParameters {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  top_k?: number;
  stop?: string[];
  /** OpenAI's reasoning efforts; a model without one rejects it (the provider's 400). */
  reasoning_effort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max';
  /** How long the answer should be (OpenAI's GPT-5 models). */
  verbosity?: 'low' | 'medium' | 'high';
  /** Tokens a thinking model may spend reasoning before it answers (Anthropic's extended thinking, Google's thinking budget). */
  thinking_budget?: number;
}

/** A function the model may call. */
export interface ChatToolDefinition {
  name: string;
  description?: string;
  /** A JSON Schema object describing the arguments. */
  parameters: Record<string, unknown>;
}

export interface ChatRequest {
  model: string;
  /** The agent's system prompt; empty or absent sends none. */
  instructions?: string;
  messages: ChatMessage[];
  parameters?: ChatParameters;
  tools?: ChatToolDefinition[];
}

/** Why the model stopped, normalised across vendors; `other` keeps unknown vendor values harmless. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'other';

/**
 * What a provider stream yields, in order: any number of deltas, then at most one `usage`, then
 * exactly one `done` as the last event. A stream that cannot reach `done` throws a ProviderError.
 */
export type ProviderEvent =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  /**
   * A fragment of a tool call. Fragments with the same `index` belong to one call: the first
   * usually carries `id` and `name`, and the `argsDelta`s concatenate into the JSON arguments.
   */
  | { type: 'tool_call'; index: number; id?: string; name?: string; argsDelta: string }
  | ({ type: 'usage' } & TokenUsage)
  | { type: 'done'; finishReason: FinishReason };

/**
 * The token counts of one answer. The detailed counts are parts of the two totals, never added to
 * them, and are absent when the vendor did not report them (which is not the same as 0).
 */
export interface TokenUsage {
  /** Every prompt token, those read from or written to a cache included. */
  promptTokens: number;
  /** Every generated token, reasoning included. */
  completionTokens: number;
  /** The part of `completionTokens` the model spent reasoning (OpenAI's reasoning tokens, Gemini's thoughts). */
  reasoningTokens?: number;
  /** The part of `promptTokens` read from the vendor's prompt cache. */
  cachedTokens?: number;
  /** The part of `promptTokens` written to the vendor's prompt cache (Anthropic's cache creation). */
  cacheWriteTokens?: number;
}

export interface ChatProvider {
  /** The provider name the agent uses (`openai` or a custom endpoint's name). */
  readonly name: string;
  /**
   * Streams one model answer. Aborting `signal` closes the HTTP connection and makes the iterator
   * throw a ProviderError of kind `aborted`; breaking out of the loop also closes it.
   */
  stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderEvent>;
}

/**
 * - `http`: the provider answered with an error status (its own message is kept);
 * - `connection`: the provider could not be reached, or the connection failed before an answer;
 * - `timeout`: no first token within the first-token timeout;
 * - `stream_dropped`: the stream broke after it had started (or ended without a finish reason);
 * - `aborted`: the caller aborted;
 * - `unsupported`: the agent names a provider this service cannot call (yet).
 */
export type ProviderErrorKind = 'http' | 'connection' | 'timeout' | 'stream_dropped' | 'aborted' | 'unsupported';

export interface ProviderErrorOptions {
  /** The provider's HTTP status, for `http`. */
  status?: number;
  /**
   * Whether the same request may be sent again. Only ever true before the first event was
   * yielded: once tokens reached the user, a retry would duplicate them.
   */
  retryable?: boolean;
  /** How long the provider asked us to wait before retrying (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  /** The provider's machine-readable error code, e.g. `rate_limit_exceeded`. */
  code?: string;
  cause?: unknown;
}

/** The one error type provider adapters throw. Its message is fit to show the user as the stream's error. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly status?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly code?: string;

  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    options: ProviderErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.code = options.code;
  }
}

const EFFORTS: ReadonlyArray<ChatParameters['reasoning_effort']> = [
  'none',
  'minimal',
  'low',
  'medium',
  'high',
  'xhigh',
  'max',
];
const VERBOSITIES: ReadonlyArray<ChatParameters['verbosity']> = ['low', 'medium', 'high'];

/**
 * Picks the known, well-typed sampling parameters out of an agent's stored `model_parameters`
 * (a JSON object), dropping anything else, so a stray key never reaches a vendor API.
 */
export function chatParametersFrom(stored: Record<string, unknown> | null | undefined): ChatParameters {
  const source = stored ?? {};
  const result: ChatParameters = {};
  const number = (key: keyof ChatParameters): number | undefined => {
    const value = source[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  const assign = <K extends keyof ChatParameters>(key: K, value: ChatParameters[K] | undefined): void => {
    if (value !== undefined) result[key] = value;
  };
  assign('temperature', number('temperature'));
  assign('top_p', number('top_p'));
  assign('max_tokens', number('max_tokens'));
  assign('frequency_penalty', number('frequency_penalty'));
  assign('presence_penalty', number('presence_penalty'));
  assign('top_k', number('top_k'));
  assign('thinking_budget', number('thinking_budget'));
  const stop = source.stop;
  if (Array.isArray(stop) && stop.every((s): s is string => typeof s === 'string') && stop.length > 0) {
    result.stop = [...stop];
  }
  const effort = source.reasoning_effort;
  assign(
    'reasoning_effort',
    EFFORTS.find((e) => e === effort),
  );
  const verbosity = source.verbosity;
  assign(
    'verbosity',
    VERBOSITIES.find((v) => v === verbosity),
  );
  return result;
}
