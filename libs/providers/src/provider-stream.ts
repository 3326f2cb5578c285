import { type FinishReason, ProviderError, type ProviderEvent, type TokenUsage } from './chat-provider';

/** Why the request was cancelled, when it was: the caller, the first-token timeout, or a stall after it. */
export type AbortCause = 'caller' | 'timeout' | 'stall' | undefined;

/** What the stream had reached when it failed: an adapter maps its SDK's error with it. */
export interface StreamProgress {
  /** Whether any event was yielded: after that, nothing may be retried. */
  started: boolean;
  /** Whether the request was answered (the SDK handed back a stream). */
  connected: boolean;
  abortCause: AbortCause;
}

/** What one vendor chunk contributes: the deltas to yield now, and usage and the finish reason to report at the end. */
export interface ChunkContent {
  events: ProviderEvent[];
  /**
   * Any count may come alone (Anthropic reports input and output tokens in different events); a
   * later chunk's count replaces an earlier one.
   */
  usage?: Partial<TokenUsage>;
  finishReason?: FinishReason;
}

/** The vendor-specific parts of a streamed answer; everything else is {@link driveProviderStream}'s. */
export interface VendorStream<Chunk> {
  /** The provider's name, for messages. */
  provider: string;
  firstTokenTimeoutMs: number;
  /** Sends the request; `signal` cancels it for every reason the driver has. */
  open(signal: AbortSignal): Promise<AsyncIterable<Chunk>>;
  read(chunk: Chunk): ChunkContent;
  /** The SDK's error for "aborted": some SDKs end their iterator quietly on abort; this turns that back into the failure it is. */
  abortError(): unknown;
  /** Maps whatever the SDK threw to the one error type adapters throw. */
  toError(error: unknown, progress: StreamProgress): ProviderError;
  /** What the vendor calls the reason an answer ended, for the dropped-stream message. */
  finishReasonName?: string;
}

/**
 * Streams one answer the same way for every vendor: one AbortController cancels the request for
 * the caller's abort, the first-token timeout and a stall (the watchdog, re-armed by every chunk
 * once the answer flows, remembering which fired first); deltas are yielded as they come, then one
 * `usage` and one `done`. A stream that ends without a finish reason is `stream_dropped`, and
 * stopping the iteration early closes the connection.
 */
export async function* driveProviderStream<Chunk>(
  vendor: VendorStream<Chunk>,
  signal: AbortSignal,
): AsyncGenerator<ProviderEvent, void, undefined> {
  if (signal.aborted) throw new ProviderError('aborted', `The request to ${vendor.provider} was aborted`);

  const controller = new AbortController();
  const progress: StreamProgress = { started: false, connected: false, abortCause: undefined };
  const abort = (cause: NonNullable<AbortCause>): void => {
    progress.abortCause ??= cause;
    controller.abort();
  };
  const onCallerAbort = (): void => abort('caller');
  signal.addEventListener('abort', onCallerAbort, { once: true });
  const watchdog = setTimeout(() => abort(progress.started ? 'stall' : 'timeout'), vendor.firstTokenTimeoutMs);

  let finishReason: FinishReason | undefined;
  let usage: ChunkContent['usage'];
  try {
    const chunks = await vendor.open(controller.signal);
    progress.connected = true;
    for await (const chunk of chunks) {
      if (progress.started) watchdog.refresh();
      const content = vendor.read(chunk);
      // Usage and the finish reason are reported once, at the end: some servers repeat usage on
      // every chunk, and some send it after the finish reason or in parts.
      const counts = content.usage ? definedOnly(content.usage) : {};
      if (Object.keys(counts).length > 0) usage = { ...usage, ...counts };
      finishReason = content.finishReason ?? finishReason;
      for (const event of content.events) {
        if (!progress.started) {
          progress.started = true;
          watchdog.refresh();
        }
        yield event;
      }
    }
    if (progress.abortCause) throw vendor.abortError();
  } catch (error) {
    throw vendor.toError(error, progress);
  } finally {
    clearTimeout(watchdog);
    signal.removeEventListener('abort', onCallerAbort);
    // Closes the connection when the consumer stopped iterating early; a no-op after a full answer.
    controller.abort();
  }

  if (finishReason === undefined) {
    // The body ended cleanly but the answer did not: a proxy cut it, or the server gave up.
    throw new ProviderError(
      'stream_dropped',
      `The stream from ${vendor.provider} ended without a ${vendor.finishReasonName ?? 'finish reason'}`,
    );
  }
  if (usage) {
    const { promptTokens = 0, completionTokens = 0, ...details } = usage;
    yield { type: 'usage', promptTokens, completionTokens, ...details };
  }
  yield { type: 'done', finishReason };
}

function definedOnly(usage: NonNullable<ChunkContent['usage']>): NonNullable<ChunkContent['usage']> {
  return Object.fromEntries(Object.entries(usage).filter(([, value]) => value !== undefined));
}
