import { randomUUID } from 'node:crypto';
import { ProviderError, type ChatProvider, type ChatRequest, type FinishReason } from '@agents/providers';
import { RedisUnavailableError, StreamNotFoundError, type EventBus } from '@agents/streaming';
import { streamEvents, type ContentPart, type StreamEventPayload } from '@agents/chat';
import { whenRedisAvailable } from './redis-outage';

/** Why a generation failed when its stream could not take its events (Redis lost them, or stayed down). */
export const STREAM_LOST_FAILURE =
  'The stream was interrupted by a server fault; what was answered before it is saved in the conversation';
import { providerFailed, type GenerationFailure } from './generation-failure';

export interface GenerationInput {
  streamId: string;
  responseMessageId: string;
  request: ChatRequest;
  /** Called with each text delta after it is published (e.g. to keep the status' text current). */
  onText?: (text: string) => Promise<unknown>;
}

export type GenerationStatus = 'completed' | 'failed' | 'aborted';

/** What a generation produced; the caller stores it, then announces the terminal event. */
export interface GenerationOutcome {
  status: GenerationStatus;
  text: string;
  reasoning: string;
  content: ContentPart[];
  usage?: { promptTokens: number; completionTokens: number };
  finishReason?: FinishReason;
  /** Why it failed, in words a user may read (never the provider's own, see providerFailed). */
  error?: string;
  /** Why it failed, classified, when a provider call failed it. */
  failure?: GenerationFailure;
}

export interface RetryPolicy {
  /** Further attempts after the first, for retryable failures before the first token. */
  retries: number;
  /** Base of the exponential backoff when the provider names no Retry-After. */
  baseDelayMs: number;
  /** Upper bound on any single wait, Retry-After included. */
  maxDelayMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 500, maxDelayMs: 10_000 };

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs one provider call and turns its stream into the stream events of docs/http-api.md § Streams
 * (`on_run_step`, `on_message_delta`, `on_reasoning_delta`) on the event bus. It never publishes
 * the terminal event: the caller stores the response message first and announces it after, so a
 * client that sees `final` can always read the message back.
 *
 * A retryable provider failure (429, 5xx, unreachable) before the first token is retried with
 * backoff, honouring Retry-After; once a token has been published the call is never repeated,
 * so no token is ever sent twice.
 */
export class GenerationRunner {
  constructor(
    private readonly bus: Pick<EventBus, 'publish'>,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  async run(input: GenerationInput, provider: ChatProvider, signal: AbortSignal): Promise<GenerationOutcome> {
    const stepId = `step_${randomUUID()}`;
    const outcome: GenerationOutcome = { status: 'completed', text: '', reasoning: '', content: [] };
    await this.publish(input.streamId, streamEvents.runStep(stepId, input.responseMessageId));

    let published = false;
    for (let attempt = 0; ; attempt++) {
      try {
        for await (const event of provider.stream(input.request, signal)) {
          switch (event.type) {
            // A delta joins the outcome once published: what is stored is what clients could see.
            case 'text':
              published = true;
              await this.publish(input.streamId, streamEvents.messageDelta(stepId, event.text));
              outcome.text += event.text;
              await input.onText?.(event.text);
              break;
            case 'reasoning':
              published = true;
              await this.publish(input.streamId, streamEvents.reasoningDelta(stepId, event.text));
              outcome.reasoning += event.text;
              break;
            case 'usage':
              outcome.usage = { promptTokens: event.promptTokens, completionTokens: event.completionTokens };
              break;
            case 'done':
              outcome.finishReason = event.finishReason;
              break;
            case 'tool_call':
              // Server-side tools arrive with the tools issue; until then a call is not executed.
              break;
          }
        }
        break;
      } catch (err) {
        const failure = err instanceof ProviderError ? err : undefined;
        if (failure?.kind === 'aborted' || signal.aborted) {
          outcome.status = 'aborted';
          break;
        }
        if (failure && failure.retryable && !published && attempt < this.retry.retries) {
          const backoff = failure.retryAfterMs ?? this.retry.baseDelayMs * 2 ** attempt;
          await sleep(Math.min(backoff, this.retry.maxDelayMs), signal);
          if (signal.aborted) {
            outcome.status = 'aborted';
            break;
          }
          continue;
        }
        outcome.status = 'failed';
        if (streamLost(err)) {
          outcome.error = STREAM_LOST_FAILURE;
        } else {
          const failed = providerFailed(err, { streamId: input.streamId, provider: provider.name });
          outcome.error = failed.error;
          outcome.failure = failed.failure;
        }
        break;
      }
    }

    if (outcome.reasoning) outcome.content.push({ type: 'think', think: outcome.reasoning });
    if (outcome.text) outcome.content.push({ type: 'text', text: outcome.text });
    return outcome;
  }

  /** Rides out a short Redis outage; a stream Redis lost (it came back empty) fails the generation. */
  private publish(streamId: string, payload: StreamEventPayload): Promise<string> {
    return whenRedisAvailable(() => this.bus.publish(streamId, payload));
  }
}

/** The stream could not take an event: Redis lost it, or stayed down past the grace. */
function streamLost(err: unknown): boolean {
  return err instanceof StreamNotFoundError || err instanceof RedisUnavailableError;
}
