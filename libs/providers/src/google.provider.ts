import { GoogleGenAI } from '@google/genai';
import type { ChatProvider, ChatRequest, ProviderEvent } from './chat-provider';
import { driveProviderStream } from './provider-stream';
import { type StreamState, fromChunk, toGoogleRequest, toProviderError } from './google.mapping';

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

  stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<ProviderEvent, void, undefined> {
    const state: StreamState = { toolCalls: 0 };
    const params = toGoogleRequest(request);
    return driveProviderStream(
      {
        provider: this.name,
        firstTokenTimeoutMs: this.firstTokenTimeoutMs,
        // No `retryOptions`: the SDK sends each request once.
        open: (abort) =>
          this.client.models.generateContentStream({ ...params, config: { ...params.config, abortSignal: abort } }),
        // Gemini repeats usage on chunks; the last one counts.
        read: (chunk) => fromChunk(chunk, state),
        abortError: () => new Error('The request was aborted'),
        toError: (error, progress) =>
          toProviderError(error, {
            provider: this.name,
            firstTokenTimeoutMs: this.firstTokenTimeoutMs,
            apiKey: this.apiKey,
            ...progress,
          }),
      },
      signal,
    );
  }
}
