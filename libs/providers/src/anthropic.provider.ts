import Anthropic, { APIUserAbortError } from '@anthropic-ai/sdk';
import type { ChatProvider, ChatRequest, ProviderEvent } from './chat-provider';
import { driveProviderStream } from './provider-stream';
import { fromStreamEvent, toAnthropicRequest, toProviderError } from './anthropic.mapping';

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

  stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<ProviderEvent, void, undefined> {
    return driveProviderStream(
      {
        provider: this.name,
        firstTokenTimeoutMs: this.firstTokenTimeoutMs,
        finishReasonName: 'stop reason',
        open: (abort) =>
          this.client.messages.create(toAnthropicRequest(request), {
            signal: abort,
            maxRetries: 0,
            // The driver's watchdog fires first; this only bounds the SDK should it ever outlive it.
            timeout: this.firstTokenTimeoutMs + 5_000,
          }),
        read: (event) => {
          // Token counts arrive in two parts (message_start, message_delta); the driver reports them once.
          const content = fromStreamEvent(event);
          return {
            events: content.events,
            // Anthropic reports no reasoning count of its own: thinking is inside output_tokens.
            usage: {
              promptTokens: content.inputTokens,
              completionTokens: content.outputTokens,
              cachedTokens: content.cacheReadTokens,
              cacheWriteTokens: content.cacheWriteTokens,
            },
            finishReason: content.finishReason,
          };
        },
        // The SDK ends its iterator quietly when the request is aborted.
        abortError: () => new APIUserAbortError(),
        toError: (error, progress) =>
          toProviderError(error, { provider: this.name, firstTokenTimeoutMs: this.firstTokenTimeoutMs, ...progress }),
      },
      signal,
    );
  }
}
