import { GoogleGenAI } from '@google/genai';
import {
  type ChatProvider,
  type ChatRequest,
  type FinishReason,
  ProviderError,
  type ProviderEvent,
} from './chat-provider';
import { type AbortCause, type StreamState, fromChunk, toGoogleRequest, toProviderError } from './google.mapping';

/** Where the Gemini API lives: Google itself, or a proxy speaking its protocol. */
export interface GoogleEndpoint {
  /** The provider name agents use; it also names the provider in error messages. */
  name: string;
  /** Undefined means Google itself. */
  baseURL?: string;
  apiKey?: string;
}

export interface GoogleChatProviderOptions {
  /**
   * How long to wait for the first event (text, reasoning or tool call) before failing with
   * `timeout`; once the answer flows, also the longest silence between chunks before it fails as
   * `stream_dropped`.
   */
  firstTokenTimeoutMs: number;
}

const GOOGLE_BASE_URL = 'https://generativelanguage.googleapis.com';
const GOOGLE_API_VERSION = 'v1beta';

/**
 * Streams answers from Google's Gemini API through the official SDK. The SDK's retries, automatic
 * function calling and automatic continuation are off: only the worker knows whether sending a
 * request again is still safe.
 */
export class GoogleChatProvider implements ChatProvider {
  readonly name: string;
  private readonly client: GoogleGenAI;
  private readonly apiKey?: string;
  private readonly firstTokenTimeoutMs: number;

  constructor(endpoint: GoogleEndpoint, options: GoogleChatProviderOptions) {
    this.name = endpoint.name;
    this.apiKey = endpoint.apiKey || undefined;
    this.firstTokenTimeoutMs = options.firstTokenTimeoutMs;
    // Every option the SDK would otherwise read from process.env (GOOGLE_API_KEY, GEMINI_API_KEY,
    // GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GEMINI_BASE_URL, GOOGLE_GENAI_API_VERSION, …) is given
    // explicitly: configuration comes from AppConfig only. An empty key (never undefined) also keeps
    // the SDK from looking for Google Cloud credentials.
    this.client = new GoogleGenAI({
      vertexai: false,
      apiKey: endpoint.apiKey ?? '',
      apiVersion: GOOGLE_API_VERSION,
      httpOptions: { baseUrl: endpoint.baseURL ?? GOOGLE_BASE_URL, apiVersion: GOOGLE_API_VERSION },
    });
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<ProviderEvent, void, undefined> {
    if (signal.aborted) throw new ProviderError('aborted', `The request to ${this.name} was aborted`);

    // One controller cancels the HTTP request for every reason we may have; `abortCause` remembers
    // which one fired first, because fetch reports each as a plain AbortError.
    const controller = new AbortController();
    let abortCause: AbortCause;
    const abort = (cause: NonNullable<AbortCause>): void => {
      abortCause ??= cause;
      controller.abort();
    };
    const onCallerAbort = (): void => abort('caller');
    signal.addEventListener('abort', onCallerAbort, { once: true });
    // Before the first event this is the first-token timeout; afterwards it is re-armed by every
    // chunk, so a provider that stalls mid-answer fails the stream instead of hanging it forever.
    let started = false;
    let connected = false;
    const watchdog = setTimeout(() => abort(started ? 'stall' : 'timeout'), this.firstTokenTimeoutMs);

    const state: StreamState = { toolCalls: 0 };
    let finishReason: FinishReason | undefined;
    let usage: { promptTokens: number; completionTokens: number } | undefined;
    try {
      const params = toGoogleRequest(request);
      const chunks = await this.client.models.generateContentStream({
        ...params,
        // No `retryOptions`: the SDK sends each request once.
        config: { ...params.config, abortSignal: controller.signal },
      });
      connected = true;
      for await (const chunk of chunks) {
        if (started) watchdog.refresh();
        const content = fromChunk(chunk, state);
        // Gemini repeats usage on chunks; the last one counts.
        usage = content.usage ?? usage;
        finishReason = content.finishReason ?? finishReason;
        for (const event of content.events) {
          if (!started) {
            started = true;
            watchdog.refresh();
          }
          yield event;
        }
      }
      // Should the iterator end quietly after an abort, turn that back into the failure it is.
      if (abortCause) throw new Error('The request was aborted');
    } catch (error) {
      throw toProviderError(error, {
        provider: this.name,
        started,
        connected,
        abortCause,
        firstTokenTimeoutMs: this.firstTokenTimeoutMs,
        apiKey: this.apiKey,
      });
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', onCallerAbort);
      // Closes the connection when the consumer stopped iterating early; a no-op after a full answer.
      controller.abort();
    }

    if (finishReason === undefined) {
      throw new ProviderError('stream_dropped', `The stream from ${this.name} ended without a finish reason`);
    }
    if (usage) yield { type: 'usage', ...usage };
    yield { type: 'done', finishReason };
  }
}
