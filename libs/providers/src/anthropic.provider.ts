import Anthropic, { APIUserAbortError } from '@anthropic-ai/sdk';
import {
  type ChatProvider,
  type ChatRequest,
  type FinishReason,
  ProviderError,
  type ProviderEvent,
} from './chat-provider';
import { fromStreamEvent, toAnthropicRequest, toProviderError } from './anthropic.mapping';
import { type AbortCause } from './openai.mapping';

/** Where Anthropic lives: its own API, or a proxy speaking its protocol. */
export interface AnthropicEndpoint {
  /** The provider name agents use; it also names the provider in error messages. */
  name: string;
  /** Undefined means Anthropic itself. */
  baseURL?: string;
  /** Undefined means the endpoint needs no key (a proxy that adds its own): no credential is sent. */
  apiKey?: string;
}

export interface AnthropicChatProviderOptions {
  /**
   * How long to wait for the first event (text, reasoning or tool call) before failing with
   * `timeout`; once the answer flows, also the longest silence between events before it fails as
   * `stream_dropped`.
   */
  firstTokenTimeoutMs: number;
}

const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
/**
 * Without any credential the SDK would look for one in the environment and in profile files; a
 * keyless endpoint gets this placeholder and the header carrying it is removed.
 */
const NO_KEY = 'no-key';

/**
 * Streams Anthropic Messages through the official SDK. The SDK's own retries are off: only the
 * worker knows whether a retry is still safe (before the first token) and how long the job may wait.
 */
export class AnthropicChatProvider implements ChatProvider {
  readonly name: string;
  private readonly client: Anthropic;
  private readonly firstTokenTimeoutMs: number;

  constructor(endpoint: AnthropicEndpoint, options: AnthropicChatProviderOptions) {
    this.name = endpoint.name;
    this.firstTokenTimeoutMs = options.firstTokenTimeoutMs;
    // Every option the SDK would otherwise read from process.env (ANTHROPIC_API_KEY,
    // ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL, ANTHROPIC_LOG, the profile and OpenTelemetry
    // variables, …) is given explicitly: configuration comes from AppConfig only. An explicit
    // `apiKey` is the client's only credential, so no other one is looked up.
    this.client = new Anthropic({
      apiKey: endpoint.apiKey || NO_KEY,
      baseURL: endpoint.baseURL ?? ANTHROPIC_BASE_URL,
      webhookKey: null,
      maxRetries: 0,
      openTelemetry: false,
      // Failures are mapped to ProviderError and logged by the worker; the SDK should not print.
      logLevel: 'off',
      ...(endpoint.apiKey ? {} : { defaultHeaders: { Authorization: null, 'X-Api-Key': null } }),
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
    // stream event, so a provider that stalls mid-answer fails the stream instead of hanging it.
    let started = false;
    const watchdog = setTimeout(() => abort(started ? 'stall' : 'timeout'), this.firstTokenTimeoutMs);

    let finishReason: FinishReason | undefined;
    let inputTokens: number | undefined;
    let outputTokens: number | undefined;
    try {
      const events = await this.client.messages.create(toAnthropicRequest(request), {
        signal: controller.signal,
        maxRetries: 0,
        // The watchdog fires first; this only bounds the SDK should it ever outlive it.
        timeout: this.firstTokenTimeoutMs + 5_000,
      });
      for await (const event of events) {
        if (started) watchdog.refresh();
        const content = fromStreamEvent(event);
        // Token counts arrive in two parts (message_start, message_delta); one usage event is yielded at the end.
        inputTokens = content.inputTokens ?? inputTokens;
        outputTokens = content.outputTokens ?? outputTokens;
        finishReason = content.finishReason ?? finishReason;
        for (const providerEvent of content.events) {
          if (!started) {
            started = true;
            watchdog.refresh();
          }
          yield providerEvent;
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
      throw new ProviderError('stream_dropped', `The stream from ${this.name} ended without a stop reason`);
    }
    if (inputTokens !== undefined || outputTokens !== undefined) {
      yield { type: 'usage', promptTokens: inputTokens ?? 0, completionTokens: outputTokens ?? 0 };
    }
    yield { type: 'done', finishReason };
  }
}
