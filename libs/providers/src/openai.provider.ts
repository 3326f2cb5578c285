import OpenAI, { APIUserAbortError } from 'openai';
import {
  type ChatProvider,
  type ChatRequest,
  type FinishReason,
  ProviderError,
  type ProviderEvent,
} from './chat-provider';
import { type AbortCause, fromChunk, toOpenAIRequest, toProviderError } from './openai.mapping';

/** Where an OpenAI-compatible provider lives: the built-in `openai`, or a custom endpoint of the config file. */
export interface OpenAIEndpoint {
  /** The provider name agents use; it also names the provider in error messages. */
  name: string;
  /** Undefined means OpenAI itself. */
  baseURL?: string;
  /** Undefined means the endpoint needs no key (a local Ollama or vLLM): no Authorization header is sent. */
  apiKey?: string;
}

export interface OpenAIChatProviderOptions {
  /**
   * How long to wait for the first event (text, reasoning or tool call) before failing with
   * `timeout`; once the answer flows, also the longest silence between chunks before it fails as
   * `stream_dropped`.
   */
  firstTokenTimeoutMs: number;
}

const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** The SDK refuses to start without a key; a keyless endpoint gets this and its header is removed. */
const NO_KEY = 'no-key';

/**
 * Streams chat completions from OpenAI or any server speaking its protocol, through the official
 * SDK. The SDK's own retries are off: only the worker knows whether a retry is still safe
 * (before the first token) and how long the job may wait.
 */
export class OpenAIChatProvider implements ChatProvider {
  readonly name: string;
  private readonly client: OpenAI;
  private readonly firstTokenTimeoutMs: number;

  constructor(endpoint: OpenAIEndpoint, options: OpenAIChatProviderOptions) {
    this.name = endpoint.name;
    this.firstTokenTimeoutMs = options.firstTokenTimeoutMs;
    // Every option the SDK would otherwise read from process.env (OPENAI_API_KEY, OPENAI_BASE_URL,
    // OPENAI_ORG_ID, …) is given explicitly: configuration comes from AppConfig only, and a custom
    // endpoint must never be sent the OpenAI key or organisation.
    this.client = new OpenAI({
      apiKey: endpoint.apiKey || NO_KEY,
      baseURL: endpoint.baseURL ?? OPENAI_BASE_URL,
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
      maxRetries: 0,
      // Failures are mapped to ProviderError and logged by the worker; the SDK should not print.
      logLevel: 'off',
      ...(endpoint.apiKey ? {} : { defaultHeaders: { Authorization: null } }),
    });
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<ProviderEvent, void, undefined> {
    if (signal.aborted) throw new ProviderError('aborted', `The request to ${this.name} was aborted`);

    // One controller cancels the HTTP request for every reason we may have; `abortCause` remembers
    // which one fired first, because the SDK reports each as a plain user abort.
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
    const watchdog = setTimeout(() => abort(started ? 'stall' : 'timeout'), this.firstTokenTimeoutMs);

    let finishReason: FinishReason | undefined;
    let usage: { promptTokens: number; completionTokens: number } | undefined;
    try {
      const chunks = await this.client.chat.completions.create(toOpenAIRequest(request), {
        signal: controller.signal,
        maxRetries: 0,
        // The watchdog fires first; this only bounds the SDK should it ever outlive it.
        timeout: this.firstTokenTimeoutMs + 5_000,
      });
      for await (const chunk of chunks) {
        if (started) watchdog.refresh();
        const content = fromChunk(chunk);
        // Usage and the finish reason are reported once, at the end: some servers repeat usage on
        // every chunk, and OpenAI sends it after the finish reason.
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
      // The SDK ends its iterator quietly when the request is aborted; turn that back into the error it is.
      if (abortCause) throw new APIUserAbortError();
    } catch (error) {
      throw toProviderError(error, {
        provider: this.name,
        started,
        abortCause,
        firstTokenTimeoutMs: this.firstTokenTimeoutMs,
      });
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', onCallerAbort);
      // Closes the connection when the consumer stopped iterating early; a no-op after a full answer.
      controller.abort();
    }

    if (finishReason === undefined) {
      // The body ended cleanly but the answer did not: a proxy cut it, or the server gave up.
      throw new ProviderError('stream_dropped', `The stream from ${this.name} ended without a finish reason`);
    }
    if (usage) yield { type: 'usage', ...usage };
    yield { type: 'done', finishReason };
  }
}
