import OpenAI, { APIUserAbortError } from 'openai';
import type { ChatProvider, ChatRequest, ProviderEvent } from './chat-provider';
import { driveProviderStream } from './provider-stream';
import { fromChunk, toOpenAIRequest, toProviderError } from './openai.mapping';

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

  stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<ProviderEvent, void, undefined> {
    return driveProviderStream(
      {
        provider: this.name,
        firstTokenTimeoutMs: this.firstTokenTimeoutMs,
        open: (abort) =>
          this.client.chat.completions.create(toOpenAIRequest(request), {
            signal: abort,
            maxRetries: 0,
            // The driver's watchdog fires first; this only bounds the SDK should it ever outlive it.
            timeout: this.firstTokenTimeoutMs + 5_000,
          }),
        read: fromChunk,
        // The SDK ends its iterator quietly when the request is aborted.
        abortError: () => new APIUserAbortError(),
        toError: (error, progress) =>
          toProviderError(error, { provider: this.name, firstTokenTimeoutMs: this.firstTokenTimeoutMs, ...progress }),
      },
      signal,
    );
  }
}
