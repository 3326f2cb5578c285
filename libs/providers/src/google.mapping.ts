import { randomUUID } from 'node:crypto';
import {
  ApiError,
  type Content,
  type GenerateContentConfig,
  type GenerateContentParameters,
  type GenerateContentResponse,
  type Part,
} from '@google/genai';
import {
  type ChatRequest,
  type FinishReason,
  ProviderError,
  type ProviderEvent,
  type TokenUsage,
} from './chat-provider';
import type { AbortCause } from './provider-stream';

/**
 * Pure translations between the provider-neutral types and Gemini's `generateContent` protocol.
 * Kept apart from the adapter so each rule is unit-testable without a server.
 */

/**
 * Gemini 3 refuses replayed function calls without the thought signature it produced; the
 * neutral history does not keep it, so replayed calls carry the value Google documents for
 * calls it did not sign.
 */
export const REPLAYED_CALL_SIGNATURE = 'skip_thought_signature_validator';

/** Builds the request: instructions become the system instruction, history the contents. */
export function toGoogleRequest(request: ChatRequest): GenerateContentParameters {
  const contents: Content[] = [];
  const push = (role: 'user' | 'model', parts: Part[]): void => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    // Gemini expects turns to alternate; consecutive turns of one role become one.
    if (last?.role === role) last.parts = [...(last.parts ?? []), ...parts];
    else contents.push({ role, parts });
  };
  const callNames = new Map<string, string>();

  for (const message of request.messages) {
    switch (message.role) {
      case 'user':
        push('user', [
          ...(message.content ? [{ text: message.content }] : []),
          ...(message.images ?? []).map((image) => ({ inlineData: { mimeType: image.mimeType, data: image.data } })),
        ]);
        break;
      case 'assistant':
        push('model', [
          ...(message.content ? [{ text: message.content }] : []),
          ...(message.toolCalls ?? []).map((call, i) => {
            callNames.set(call.id, call.name);
            return {
              functionCall: { id: call.id, name: call.name, args: parseArguments(call.arguments) },
              ...(i === 0 ? { thoughtSignature: REPLAYED_CALL_SIGNATURE } : {}),
            };
          }),
        ]);
        break;
      case 'tool':
        push('user', [
          {
            functionResponse: {
              id: message.toolCallId,
              name: callNames.get(message.toolCallId) ?? message.toolCallId,
              response: { output: message.content },
            },
          },
        ]);
        break;
    }
  }

  const p = request.parameters ?? {};
  const config: GenerateContentConfig = {
    // The adapter runs the tools itself, and never lets the SDK send a request it did not ask for.
    automaticFunctionCalling: { disable: true },
    automaticContinuation: false,
  };
  if (request.instructions) config.systemInstruction = request.instructions;
  if (p.temperature !== undefined) config.temperature = p.temperature;
  if (p.top_p !== undefined) config.topP = p.top_p;
  if (p.top_k !== undefined) config.topK = p.top_k;
  if (p.max_tokens !== undefined) config.maxOutputTokens = p.max_tokens;
  if (p.stop !== undefined && p.stop.length > 0) config.stopSequences = p.stop;
  if (p.presence_penalty !== undefined) config.presencePenalty = p.presence_penalty;
  if (p.frequency_penalty !== undefined) config.frequencyPenalty = p.frequency_penalty;
  if (p.thinking_budget !== undefined) {
    config.thinkingConfig = { thinkingBudget: p.thinking_budget, includeThoughts: true };
  }
  if (request.tools && request.tools.length > 0) {
    config.tools = [
      {
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.name,
          // Raw JSON Schema, unlike `parameters`, which takes Gemini's OpenAPI subset.
          parametersJsonSchema: tool.parameters,
          ...(tool.description !== undefined ? { description: tool.description } : {}),
        })),
      },
    ];
  }
  return { model: request.model, contents, config };
}

/** A replayed call's arguments as an object; text that is not a JSON object is kept under `input`. */
function parseArguments(text: string): Record<string, unknown> {
  if (!text.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { input: parsed };
  } catch {
    return { input: text };
  }
}

/** What the stream has seen so far that later chunks depend on. */
export interface StreamState {
  /** Function calls yielded so far: the next one's index, and whether STOP means `tool_calls`. */
  toolCalls: number;
}

/** What one chunk contributes: the deltas to yield now, plus a finish reason and usage to report at the end. */
export interface ChunkContent {
  events: ProviderEvent[];
  finishReason?: FinishReason;
  usage?: TokenUsage;
}

export function fromChunk(
  chunk: GenerateContentResponse,
  state: StreamState,
  newCallId: () => string = () => `call_${randomUUID()}`,
): ChunkContent {
  const content: ChunkContent = { events: [] };
  // We never ask for several candidates, so only the first matters.
  const candidate = chunk.candidates?.[0];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.text) content.events.push({ type: part.thought === true ? 'reasoning' : 'text', text: part.text });
    if (part.functionCall) {
      // Gemini sends each call whole, in one part: one complete fragment per call.
      content.events.push({
        type: 'tool_call',
        index: state.toolCalls++,
        id: part.functionCall.id || newCallId(),
        name: part.functionCall.name ?? '',
        argsDelta: JSON.stringify(part.functionCall.args ?? {}),
      });
    }
  }
  if (candidate?.finishReason) content.finishReason = toFinishReason(candidate.finishReason, state.toolCalls > 0);
  if (chunk.promptFeedback?.blockReason) content.finishReason = 'content_filter';
  const usage = chunk.usageMetadata;
  if (usage) {
    const thoughts = usage.thoughtsTokenCount;
    const cached = usage.cachedContentTokenCount;
    content.usage = {
      // Cached tokens are part of the prompt count already.
      promptTokens: usage.promptTokenCount ?? 0,
      // Gemini counts thoughts apart from the candidates; the neutral completion count includes them.
      completionTokens: (usage.candidatesTokenCount ?? 0) + (thoughts ?? 0),
      ...(thoughts !== undefined ? { reasoningTokens: thoughts } : {}),
      ...(cached !== undefined ? { cachedTokens: cached } : {}),
    };
  }
  return content;
}

export function toFinishReason(reason: string, madeToolCalls: boolean): FinishReason {
  switch (reason) {
    case 'STOP':
      return madeToolCalls ? 'tool_calls' : 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
      return 'content_filter';
    default:
      return 'other';
  }
}

/** The statuses worth sending again unchanged: throttling and the server's own failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Google's error body, `{error: {code, message, status, details}}`, which the SDK keeps as its message. */
export interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  details?: Array<Record<string, unknown>>;
}

/** The error body inside an ApiError's message (the SDK stringifies it, sometimes after a prefix). */
export function parseErrorBody(message: string): GoogleErrorBody | undefined {
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  try {
    const parsed = JSON.parse(message.slice(start)) as { error?: unknown };
    return parsed.error && typeof parsed.error === 'object' ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

/** The wait a `google.rpc.RetryInfo` detail asks for (`"30s"`, `"1.5s"`), in milliseconds. */
export function retryDelayOf(body: GoogleErrorBody | undefined): number | undefined {
  for (const detail of body?.details ?? []) {
    const type = detail['@type'];
    const delay = detail.retryDelay;
    if (typeof type === 'string' && type.endsWith('google.rpc.RetryInfo') && typeof delay === 'string') {
      const match = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim());
      if (match) return Math.round(Number(match[1]) * 1000);
    }
  }
  return undefined;
}

export interface ErrorContext {
  provider: string;
  /** Whether any event was yielded: after that, nothing may be retried. */
  started: boolean;
  /** Whether the response headers arrived: a network failure after that broke the stream, not the connection. */
  connected: boolean;
  abortCause: AbortCause;
  firstTokenTimeoutMs: number;
  /** Removed from every message, wherever the SDK or the server may have echoed it. */
  apiKey?: string;
}

/** Maps whatever the SDK (or the fetch underneath it) threw to a ProviderError the worker can act on. */
export function toProviderError(error: unknown, context: ErrorContext): ProviderError {
  if (error instanceof ProviderError) return error;
  const { provider, started } = context;
  const clean = (text: string): string => (context.apiKey ? text.split(context.apiKey).join('[redacted]') : text);

  if (context.abortCause === 'caller') {
    return new ProviderError('aborted', `The request to ${provider} was aborted`, { cause: error });
  }
  if (context.abortCause === 'timeout') {
    return new ProviderError('timeout', `${provider} sent no first token within ${context.firstTokenTimeoutMs} ms`, {
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
  if (error instanceof ApiError) {
    const body = parseErrorBody(error.message);
    const words = clean(body?.message || error.message);
    return new ProviderError('http', `${provider} answered ${error.status}: ${words}`, {
      status: error.status,
      retryable: !started && isRetryableStatus(error.status),
      retryAfterMs: retryDelayOf(body),
      code: body?.status,
      cause: error,
    });
  }
  if (isAbort(error)) {
    return new ProviderError('aborted', `The request to ${provider} was aborted`, { cause: error });
  }
  const message = clean(causeMessage(error));
  if (!context.connected) {
    return new ProviderError('connection', `Could not reach ${provider}: ${message}`, {
      retryable: true,
      cause: error,
    });
  }
  // fetch's body reader fails with "terminated" when the socket closes mid-body; the SDK with
  // "Incomplete JSON segment" when the body ends mid-frame.
  return new ProviderError('stream_dropped', `The stream from ${provider} broke off: ${message}`, { cause: error });
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** The most specific message of an error chain: "connect ECONNREFUSED" says more than "fetch failed". */
function causeMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  return cause instanceof Error && cause.message ? `${error.message} (${cause.message})` : error.message;
}
