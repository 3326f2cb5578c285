import { randomUUID } from 'node:crypto';
import {
  ProviderError,
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type ChatToolCall,
  type FinishReason,
  type ProviderEvent,
} from '@agents/providers';
import { RedisUnavailableError, StreamNotFoundError, type EventBus } from '@agents/streaming';
import {
  ContentFold,
  streamEvents,
  type ContentPart,
  type GenerationUsage,
  type MessageAttachment,
  type StreamEventPayload,
  type StreamPayload,
} from '@agents/chat';
import type { ServerTool } from '@agents/tools';
import { whenRedisAvailable } from './redis-outage';
import {
  capOutput,
  runBounded,
  runToolCall,
  type CallScope,
  type RequestedCall,
  type ToolCallLimits,
} from './tool-calls';

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
  /** The server-side tools the model may call; none means a plain answer. */
  tools?: readonly ServerTool[];
  /** Who the tool calls run for. */
  scope?: Omit<CallScope, 'messageId'>;
  limits?: Partial<RunLimits>;
}

/** Bounds of one run, all ending the answer cleanly (with a note) rather than failing it. */
export interface RunLimits extends ToolCallLimits {
  /** Model calls at most (the agent's recursion_limit). */
  maxSteps: number;
  /** Wall-clock budget of the whole run, model and tool steps together. */
  budgetMs: number;
}

export const DEFAULT_RUN_LIMITS: RunLimits = {
  maxSteps: 25,
  budgetMs: 600_000,
  timeoutMs: 30_000,
  outputMaxChars: 20_000,
  concurrency: 4,
};

export type GenerationStatus = 'completed' | 'failed' | 'aborted';

/** What a generation produced; the caller stores it, then announces the terminal event. */
export interface GenerationOutcome {
  status: GenerationStatus;
  text: string;
  reasoning: string;
  content: ContentPart[];
  attachments: MessageAttachment[];
  usage?: GenerationUsage;
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

/** A tool call as the model streams it, until its step ends. */
interface StreamingCall {
  stepId: string;
  id?: string;
  name?: string;
  args: string;
  /** Its run step is out (it needs the name): later fragments go out as deltas. */
  announced: boolean;
  /** A delta of its arguments is out. */
  argsSent: boolean;
}

/** How one model call ended. */
interface ModelStep {
  text: string;
  calls: RequestedCall[];
  finishReason?: FinishReason;
}

/**
 * Runs an agent's answer: calls the provider, streams its text, reasoning and tool-call fragments
 * as the events of docs/http-api.md § Streams, runs the tools the model asked for (a step's calls in
 * parallel, bounded), sends their results back and calls the model again — until it answers
 * without tools or a limit ends the run (steps, the wall-clock budget), which closes the answer
 * with a note rather than an error. It never publishes the terminal event: the caller stores the
 * response message first and announces it after, so a client that sees `final` can always read the
 * message back.
 *
 * What it returns is folded from exactly the events it published ({@link ContentFold}), so the
 * stored message, a resume snapshot and a replay of the stream show the same run.
 *
 * A retryable provider failure (429, 5xx, unreachable) before a model call's first event is
 * retried with backoff, honouring Retry-After; once anything of that call has been published the
 * call is never repeated, so no token is ever sent twice.
 */
export class GenerationRunner {
  constructor(
    private readonly bus: Pick<EventBus, 'publish'>,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  run(input: GenerationInput, provider: ChatProvider, signal: AbortSignal): Promise<GenerationOutcome> {
    return new Run(this.bus, this.retry, input, provider, signal).execute();
  }
}

/** One answer being generated: its fold, its published steps and its limits. */
class Run {
  private readonly fold = new ContentFold();
  private readonly limits: RunLimits;
  private readonly tools: ReadonlyMap<string, ServerTool>;
  private readonly outcome: Omit<GenerationOutcome, 'text' | 'reasoning' | 'content' | 'attachments'> = {
    status: 'completed',
  };
  /** Publishes go out one at a time, in order, whatever runs in parallel (tool calls finishing). */
  private publishing: Promise<unknown> = Promise.resolve();
  /**
   * The text or reasoning delta waiting behind the publish in flight, not yet sent: deltas of the
   * same kind and step that come meanwhile join it (see emitDelta).
   */
  private waitingDelta: { kind: 'message_delta' | 'reasoning_delta'; stepId: string; text: string } | undefined;
  /** Why a delta's publish failed (the stream was lost); the step that queued it rethrows it. */
  private deltaFailure: Error | undefined;
  /** The message step text deltas go to; a model call after tool calls opens a new one. */
  private messageStepId: string | undefined;
  /** Fires when the wall-clock budget is spent; the caller's signal also stops the provider and tools. */
  private readonly budget = new AbortController();
  private readonly stop: AbortSignal;

  constructor(
    private readonly bus: Pick<EventBus, 'publish'>,
    private readonly retry: RetryPolicy,
    private readonly input: GenerationInput,
    private readonly provider: ChatProvider,
    private readonly signal: AbortSignal,
  ) {
    this.limits = { ...DEFAULT_RUN_LIMITS, ...withoutUndefined(input.limits ?? {}) };
    this.tools = new Map((input.tools ?? []).map((tool) => [tool.id, tool]));
    this.stop = AbortSignal.any([signal, this.budget.signal]);
  }

  async execute(): Promise<GenerationOutcome> {
    const budgetTimer = setTimeout(() => this.budget.abort('budget'), this.limits.budgetMs);
    try {
      await this.openMessageStep();
      const messages = [...this.input.request.messages];
      for (let step = 1; ; step++) {
        const result = await this.modelStep({ ...this.input.request, messages, ...this.toolDefinitions() });
        if (!result || result.calls.length === 0) break;
        if (step >= this.limits.maxSteps) {
          await this.refuseCalls(result.calls, 'Not run: the answer reached its step limit');
          await this.endWithNote(`the agent's limit of ${this.limits.maxSteps} steps was reached`);
          break;
        }
        const outputs = await this.runCalls(result.calls);
        messages.push(
          { role: 'assistant', content: result.text, toolCalls: result.calls.map(toChatToolCall) },
          ...result.calls.map((call): ChatMessage => ({
            role: 'tool',
            toolCallId: call.id,
            content: outputs.get(call.id)!,
          })),
        );
        if (this.signal.aborted) {
          this.outcome.status = 'aborted';
          break;
        }
        if (this.budget.signal.aborted) {
          await this.endWithNote('the time allowed for one answer ran out');
          break;
        }
      }
    } catch (err) {
      // Publishing failed: the stream is gone (Redis lost it or stayed down). Nothing more can be shown.
      if (!streamLost(err)) throw err;
      this.outcome.status = 'failed';
      this.outcome.error = STREAM_LOST_FAILURE;
      delete this.outcome.failure;
    } finally {
      clearTimeout(budgetTimer);
    }
    await this.publishing.catch(() => undefined);
    return {
      ...this.outcome,
      text: this.fold.text,
      reasoning: this.fold.reasoning,
      content: this.fold.content,
      attachments: this.fold.attachments,
    };
  }

  /** The tools as function definitions, or nothing when the agent has none. */
  private toolDefinitions(): Pick<ChatRequest, 'tools'> {
    if (this.tools.size === 0) return {};
    return {
      tools: [...this.tools.values()].map((tool) => ({
        name: tool.id,
        description: tool.description,
        parameters: tool.parameters,
      })),
    };
  }

  /**
   * One model call, streamed out. Resolves with its text and the tool calls it asked for, or
   * undefined when the run ends here (failed, aborted or out of time — the outcome says which).
   */
  private async modelStep(request: ChatRequest): Promise<ModelStep | undefined> {
    for (let attempt = 0; ; attempt++) {
      const step: ModelStep = { text: '', calls: [] };
      const streaming = new Map<number, StreamingCall>();
      let published = false;
      try {
        for await (const event of this.provider.stream(request, this.stop)) {
          switch (event.type) {
            case 'text':
              published = true;
              await this.openMessageStep();
              this.emitDelta('message_delta', this.messageStepId!, event.text);
              step.text += event.text;
              await this.input.onText?.(event.text);
              break;
            case 'reasoning':
              published = true;
              await this.openMessageStep();
              this.emitDelta('reasoning_delta', this.messageStepId!, event.text);
              break;
            case 'tool_call':
              published = (await this.streamCall(streaming, event)) || published;
              break;
            case 'usage':
              this.addUsage(event);
              break;
            case 'done':
              step.finishReason = event.finishReason;
              this.outcome.finishReason = event.finishReason;
              break;
          }
          this.throwIfDeltaFailed();
        }
        // The step's deltas are out (or the stream is lost) before it counts as done.
        await this.publishing;
        this.throwIfDeltaFailed();
        step.calls = await this.finishCalls(streaming);
        // Text after these calls belongs to a new message step, opened when it comes.
        if (step.calls.length > 0) this.messageStepId = undefined;
        return step;
      } catch (err) {
        if (streamLost(err)) throw err;
        const failure = err instanceof ProviderError ? err : undefined;
        if (this.signal.aborted) {
          this.outcome.status = 'aborted';
          return undefined;
        }
        if (this.budget.signal.aborted) {
          await this.endWithNote('the time allowed for one answer ran out');
          return undefined;
        }
        if (failure?.kind === 'aborted') {
          this.outcome.status = 'aborted';
          return undefined;
        }
        if (failure && failure.retryable && !published && attempt < this.retry.retries) {
          const backoff = failure.retryAfterMs ?? this.retry.baseDelayMs * 2 ** attempt;
          await sleep(Math.min(backoff, this.retry.maxDelayMs), this.stop);
          if (this.stop.aborted) {
            if (this.signal.aborted) this.outcome.status = 'aborted';
            else await this.endWithNote('the time allowed for one answer ran out');
            return undefined;
          }
          continue;
        }
        const failed = providerFailed(err, { streamId: this.input.streamId, provider: this.provider.name });
        this.outcome.status = 'failed';
        this.outcome.error = failed.error;
        this.outcome.failure = failed.failure;
        return undefined;
      }
    }
  }

  /**
   * Takes one tool-call fragment: the call's run step goes out once its name is known, and every
   * argument fragment after it as a delta (the first carrying the call's id and name). Resolves
   * whether anything was published.
   */
  private async streamCall(
    streaming: Map<number, StreamingCall>,
    fragment: Extract<ProviderEvent, { type: 'tool_call' }>,
  ): Promise<boolean> {
    let call = streaming.get(fragment.index);
    if (!call) {
      call = { stepId: `step_${randomUUID()}`, args: '', announced: false, argsSent: false };
      streaming.set(fragment.index, call);
    }
    call.id ??= fragment.id;
    call.name ??= fragment.name;
    call.args += fragment.argsDelta;
    if (!call.announced) {
      if (!call.name) return false;
      call.id ??= `call_${randomUUID()}`;
      call.announced = true;
      await this.announceCall(call);
      if (call.args) await this.emitArgs(call, call.args);
      return true;
    }
    if (!fragment.argsDelta) return false;
    await this.emitArgs(call, fragment.argsDelta);
    return true;
  }

  private async announceCall(call: StreamingCall): Promise<void> {
    const index = this.fold.content.length;
    const announced = { id: call.id!, name: call.name! };
    await this.emit(streamEvents.toolStep(call.stepId, index, announced), {
      kind: 'run_step',
      stepId: call.stepId,
      index,
      stepType: 'tool_calls',
      step: {},
      responseMessageId: null,
      toolCall: announced,
    });
  }

  /** One argument fragment; the first a call sends also names it, for clients that read deltas alone. */
  private emitArgs(call: StreamingCall, args: string): Promise<void> {
    const fragment = call.argsSent ? { args } : { id: call.id!, name: call.name!, args };
    call.argsSent = true;
    return this.emit(streamEvents.toolCallDelta(call.stepId, [fragment]), {
      kind: 'tool_call_delta',
      stepId: call.stepId,
      calls: [fragment],
    });
  }

  /** The calls a finished model step asked for, in the model's order; nameless fragments are dropped. */
  private async finishCalls(streaming: Map<number, StreamingCall>): Promise<RequestedCall[]> {
    const calls: RequestedCall[] = [];
    for (const [, call] of [...streaming.entries()].sort(([a], [b]) => a - b)) {
      if (!call.announced) continue;
      calls.push({ id: call.id!, name: call.name!, args: call.args });
    }
    this.stepIds = new Map(
      [...streaming.values()].filter((call) => call.announced).map((call) => [call.id!, call.stepId]),
    );
    return Promise.resolve(calls);
  }

  /** The run step of each call of the current model step, by call id. */
  private stepIds = new Map<string, string>();

  /**
   * Runs a step's calls (bounded in parallel), publishing each result (and its attachments) as it
   * comes. Resolves with every call's output as the model will read it.
   */
  private async runCalls(calls: readonly RequestedCall[]): Promise<Map<string, string>> {
    const outputs = new Map<string, string>();
    const scope: CallScope = {
      userId: this.input.scope?.userId ?? '',
      agentId: this.input.scope?.agentId ?? '',
      conversationId: this.input.scope?.conversationId ?? null,
      messageId: this.input.responseMessageId,
      ...(this.input.scope?.files ? { files: this.input.scope.files } : {}),
    };
    await runBounded(
      calls,
      this.limits.concurrency,
      (call) => runToolCall(call, this.tools.get(call.name), scope, this.limits, this.stop),
      async (call, result) => {
        const output = capOutput(result.output, this.limits.outputMaxChars);
        outputs.set(call.id, output);
        await this.publishResult(call, output);
        for (const attachment of result.attachments ?? []) {
          const data: MessageAttachment = {
            ...attachment,
            toolCallId: call.id,
            messageId: this.input.responseMessageId,
            conversationId: scope.conversationId,
          };
          await this.emit(streamEvents.attachment(data), { kind: 'attachment', data });
        }
      },
    );
    return outputs;
  }

  /** Calls that will not run (the step limit) still get a result, so every call the user saw ends. */
  private async refuseCalls(calls: readonly RequestedCall[], output: string): Promise<void> {
    for (const call of calls) await this.publishResult(call, output);
  }

  private publishResult(call: RequestedCall, output: string): Promise<void> {
    const stepId = this.stepIds.get(call.id) ?? `step_${randomUUID()}`;
    const index = this.fold.content.findIndex((part) => part.type === 'tool_call' && part.tool_call.id === call.id);
    const toolCall = { id: call.id, name: call.name, args: call.args, output };
    return this.emit(streamEvents.toolResult(stepId, index, toolCall), {
      kind: 'tool_result',
      stepId,
      index,
      toolCall,
    });
  }

  /** Ends the answer on a limit: a visible note, and `length` as the reason it stopped. */
  private async endWithNote(why: string): Promise<void> {
    await this.openMessageStep();
    const note = `${this.fold.text ? '\n\n' : ''}(Stopped: ${why}.)`;
    await this.emit(streamEvents.messageDelta(this.messageStepId!, note), {
      kind: 'message_delta',
      stepId: this.messageStepId!,
      text: note,
    });
    this.outcome.status = 'completed';
    this.outcome.finishReason = 'length';
  }

  /** Opens the message step text goes to, if none is open: the first at index 0, later ones after the tool calls. */
  private async openMessageStep(): Promise<void> {
    if (this.messageStepId) return;
    const stepId = `step_${randomUUID()}`;
    this.messageStepId = stepId;
    const index = this.fold.content.length;
    await this.emit(streamEvents.runStep(stepId, this.input.responseMessageId, index), {
      kind: 'run_step',
      stepId,
      index,
      stepType: 'message_creation',
      step: {},
      responseMessageId: this.input.responseMessageId,
    });
  }

  /** Sums a model call's counts into the answer's; a detail no call reported stays absent. */
  private addUsage(call: GenerationUsage): void {
    const sum = this.outcome.usage ?? { promptTokens: 0, completionTokens: 0 };
    const add = (key: 'reasoningTokens' | 'cachedTokens' | 'cacheWriteTokens'): Partial<GenerationUsage> =>
      sum[key] === undefined && call[key] === undefined ? {} : { [key]: (sum[key] ?? 0) + (call[key] ?? 0) };
    this.outcome.usage = {
      promptTokens: sum.promptTokens + call.promptTokens,
      completionTokens: sum.completionTokens + call.completionTokens,
      ...add('reasoningTokens'),
      ...add('cachedTokens'),
      ...add('cacheWriteTokens'),
    };
  }

  /**
   * Publishes a text or reasoning delta without waiting for it, coalescing adaptively: while a
   * publish of this run is in flight, the deltas that come join one waiting delta, sent as one
   * event when its turn comes. An idle system sends every token as it comes; a loaded one sends
   * fewer, larger events, and the provider is read at its own pace. Event ids stay exact for
   * resume: a joined delta is one event with one id. A failed publish is rethrown by the step.
   */
  private emitDelta(kind: 'message_delta' | 'reasoning_delta', stepId: string, text: string): void {
    const waiting = this.waitingDelta;
    if (waiting && waiting.kind === kind && waiting.stepId === stepId) {
      waiting.text += text;
      return;
    }
    const delta = { kind, stepId, text };
    this.waitingDelta = delta;
    const published = this.publishing.then(async () => {
      if (this.waitingDelta === delta) this.waitingDelta = undefined; // its turn: nothing joins it now
      const payload =
        kind === 'message_delta'
          ? streamEvents.messageDelta(stepId, delta.text)
          : streamEvents.reasoningDelta(stepId, delta.text);
      await whenRedisAvailable(() => this.bus.publish(this.input.streamId, payload));
      this.fold.apply(delta);
    });
    this.publishing = published.catch((err: unknown) => {
      this.deltaFailure ??= err instanceof Error ? err : new Error('publishing a delta failed', { cause: err });
    });
  }

  private throwIfDeltaFailed(): void {
    if (this.deltaFailure) throw this.deltaFailure;
  }

  /**
   * Publishes one event, then folds it: what is stored is what clients could see. Publishes are
   * chained, so events leave in the order they were emitted even while tool calls finish at once.
   * Rides out a short Redis outage; a stream Redis lost (it came back empty) fails the run.
   */
  private emit(payload: StreamEventPayload, read: StreamPayload): Promise<void> {
    // Anything after this event is published after it: no later delta may join an earlier one.
    this.waitingDelta = undefined;
    const published = this.publishing.then(async () => {
      await whenRedisAvailable(() => this.bus.publish(this.input.streamId, payload));
      this.fold.apply(read);
    });
    this.publishing = published.catch(() => undefined);
    return published;
  }
}

function toChatToolCall(call: RequestedCall): ChatToolCall {
  return { id: call.id, name: call.name, arguments: call.args };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The stream could not take an event: Redis lost it, or stayed down past the grace. */
function streamLost(err: unknown): boolean {
  return err instanceof StreamNotFoundError || err instanceof RedisUnavailableError;
}
