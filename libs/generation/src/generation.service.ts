import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig, retryTransient } from '@agents/core';
import {
  ChatProviderFactory,
  ContextBudget,
  chatParametersFrom,
  type ChatMessage,
  type ChatRequest,
} from '@agents/providers';
import {
  EVENT_BUS,
  GENERATION_STATE,
  type EventBus,
  type GenerationState,
  type GenerationStateStore,
  StreamNotFoundError,
  readLog,
} from '@agents/streaming';
import { VersionsRepository, type AgentSnapshot, type AgentVersionEntity } from '@agents/versions';
import { ChatFiles, ConversationsRepository, type ConversationEntity } from '@agents/chat';
import { ChatMessageDto, ConversationDto } from '@agents/chat';
import { MessageEntity } from '@agents/chat';
import { MessagesRepository } from '@agents/chat';
import { resumeSnapshot, streamEvents, type StreamEventPayload } from '@agents/chat';
import type { CompletionGenerationJob, CompletionResult, ConversationGenerationJob, GenerationJob } from '@agents/chat';
import { ToolFilesFactory } from '@agents/files';
import { ToolRegistry } from '@agents/tools';
import { UsageRecorder, type FinishedGeneration } from '@agents/usage';
import { BatchedAppender } from './batched-appender';
import { ConversationTitler } from './conversation-titler';
import { providerFailed } from './generation-failure';
import { GenerationRunner, type GenerationOutcome, type RunLimits } from './generation-runner';
import { threadHistoryWithFiles } from './thread-history';
import { whenRedisAvailable } from './redis-outage';

/** Model calls of one answer when the agent sets no recursion_limit, and the most it may set. */
const DEFAULT_STEPS = 25;
const MAX_STEPS = 100;

/** Attempts to store an answer across lost connections: waits of 50 ms doubling, ~6 s in all. */
const STORE_ATTEMPTS = 8;

/** The abort reason of a generation cut off because its worker is shutting down. */
export const SHUTDOWN_ABORT = 'shutdown';

/** What a client reads when its generation was cut off by a worker shutting down. */
export const SHUTDOWN_FAILURE = 'The worker shut down before the answer was finished; please try again';

/** Who a response message belongs to: what `store` needs of a conversation job. */
type ResponseOwner = Pick<
  ConversationGenerationJob,
  'conversationId' | 'userId' | 'agentId' | 'userMessageId' | 'responseMessageId'
>;

/**
 * An outcome with who answered: the agent's name, its provider and the provider model (null when
 * the agent was gone).
 */
type PinnedOutcome = GenerationOutcome & { sender: string; model: string | null; provider?: string | null };

/**
 * The worker's handler for one generation job: loads the agent at its pinned version and the
 * thread, runs the provider through the GenerationRunner (abortable from any api instance via the
 * stream's control channel), stores the response message, and only then publishes the one
 * terminal event — `final` (also after an abort) or `error`. A `completion` job (the
 * OpenAI-compatible API) takes its messages from the job and stores nothing: its terminal event
 * carries the whole result.
 */
@Injectable()
export class GenerationService {
  private readonly logger = new Logger('Generation');
  private readonly runner: GenerationRunner;

  constructor(
    private readonly versions: VersionsRepository,
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly providers: ChatProviderFactory,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(GENERATION_STATE) private readonly state: GenerationStateStore,
    private readonly budget: ContextBudget,
    private readonly tools: ToolRegistry,
    private readonly config: AppConfig,
    private readonly files: ChatFiles,
    private readonly toolFiles: ToolFilesFactory,
    private readonly usage: UsageRecorder,
    private readonly titles: ConversationTitler,
  ) {
    this.runner = new GenerationRunner(bus);
  }

  /** Readies the tools before the first job needs them. */
  warmUp(): void {
    this.tools.warmUp();
  }

  /**
   * Runs one job to its terminal event. `shutdown` is the worker's own stop: the generation is cut
   * off and ends as failed (stored, stated and streamed as such), not as a user's abort.
   */
  async handle(job: GenerationJob, shutdown?: AbortSignal): Promise<GenerationOutcome> {
    const controller = new AbortController();
    const stop = (reason: string): void => {
      if (!controller.signal.aborted) controller.abort(reason);
    };
    const onShutdown = (): void => stop(SHUTDOWN_ABORT);
    if (shutdown?.aborted) onShutdown();
    shutdown?.addEventListener('abort', onShutdown, { once: true });
    const stopListening = await this.bus.onControl(job.streamId, (message) => {
      if (message.type === 'abort') stop('user');
    });
    try {
      // An abort that arrived before this worker listened (the job was still queued) waits in the state.
      if (await this.state.abortRequested(job.streamId)) stop('user');
      if (job.kind === 'completion') return await this.complete(job, controller.signal);
      // A new conversation's title is asked for beside its first answer, never in its way.
      const title = controller.signal.aborted ? null : this.titles.begin(job);
      const { outcome, request } = await this.generate(job, controller.signal);
      // Read before the answer's statement, which returns the title `final` carries: a title stored
      // by then is in it, and its event goes out first; one stored later only lands in the conversation.
      const titled = title?.storedTitle() ?? null;
      const stored = await this.store(job, outcome, finishedOf(job, outcome));
      await this.finish(job.streamId, outcome);
      if (titled !== null && stored.conversation) await this.titles.announce(job.streamId, job.conversationId, titled);
      await this.announce(job, outcome, stored, request);
      return outcome;
    } finally {
      shutdown?.removeEventListener('abort', onShutdown);
      await stopListening();
    }
  }

  /** A completion: the agent at its version, the request's messages and overrides; the result goes out in the terminal event. */
  private async complete(job: CompletionGenerationJob, signal: AbortSignal): Promise<GenerationOutcome> {
    const version = await retryTransient(() => this.versions.find(job.agentId, job.agentVersion));
    // No onText: a completion has no status route to show its text in.
    const outcome = await this.runPinned(job, version, signal, (agent) => ({
      model: agent.model,
      instructions: [agent.instructions, job.extraInstructions].filter((text) => !!text).join('\n\n') || undefined,
      messages: job.messages,
      parameters: { ...chatParametersFrom(agent.model_parameters), ...job.overrides },
    }));
    // Recorded before the result goes out: a client that reads its usage next finds it.
    const finished = finishedOf(job, outcome);
    await retryTransient(() => this.usage.record(finished)).catch((err: unknown) => {
      this.logger.error({ err, streamId: job.streamId }, 'Could not record the usage of a completion');
    });
    await this.finish(job.streamId, outcome);
    const completion: CompletionResult = {
      status: outcome.status,
      text: outcome.text,
      content: outcome.content,
      attachments: outcome.attachments,
      finishReason: outcome.finishReason ?? null,
      usage: outcome.usage ?? null,
      model: outcome.model,
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      ...(outcome.failure !== undefined ? { failure: outcome.failure } : {}),
    };
    await this.publishTerminal(
      job.streamId,
      outcome.status === 'failed'
        ? streamEvents.error(outcome.error ?? 'The generation failed', { completion })
        : streamEvents.completionFinal(completion, outcome.status === 'aborted'),
    );
    return outcome;
  }

  /** Runs the conversation's generation; resolves its outcome and the user message it answers. */
  private async generate(
    job: ConversationGenerationJob,
    signal: AbortSignal,
  ): Promise<{ outcome: PinnedOutcome; request: MessageEntity | null }> {
    // Reads before the provider call: a dropped database connection is retried, not the generation failed.
    const [version, thread] = await Promise.all([
      retryTransient(() => this.versions.find(job.agentId, job.agentVersion)),
      retryTransient(() => this.messages.threadTo(job.conversationId, job.userMessageId)),
    ]);
    const history: ChatMessage[] = await retryTransient(() =>
      threadHistoryWithFiles(thread, (fileId) => this.files.content(fileId)),
    );
    // The status' text follows the answer in batches, not one state write per token.
    const statusText = new BatchedAppender((text) => this.state.appendContent(job.streamId, text));
    // The thread ends with the message being answered.
    const request = thread.at(-1)?.id === job.userMessageId ? thread.at(-1)! : null;
    try {
      const outcome = await this.runPinned(
        job,
        version,
        signal,
        (agent) => ({
          model: agent.model,
          instructions: agent.instructions ?? undefined,
          messages: history,
          parameters: chatParametersFrom(agent.model_parameters),
        }),
        (text) => statusText.push(text),
      );
      return { outcome, request };
    } finally {
      await statusText.flush().catch(() => undefined);
    }
  }

  /**
   * Runs the agent as it was at the job's pinned version. A version that no longer exists, or a
   * provider that cannot be set up, is a failed outcome rather than a thrown error.
   */
  private async runPinned(
    job: GenerationJob,
    version: AgentVersionEntity | null,
    signal: AbortSignal,
    request: (agent: AgentSnapshot) => ChatRequest,
    onText?: (text: string) => Promise<unknown>,
  ): Promise<PinnedOutcome> {
    if (!version) {
      return {
        ...failed(`Agent ${job.agentId} version ${job.agentVersion} no longer exists`),
        sender: 'Agent',
        model: null,
      };
    }
    const agent = version.snapshot;
    const who = { sender: agent.name, model: agent.model, provider: agent.provider };
    try {
      // History is cut to the context budget, oldest first; a request over it by itself fails here.
      const fitted = this.budget.fit(request(agent));
      const provider = this.providers.forAgent(agent.provider);
      const outcome = await this.runner.run(
        {
          streamId: job.streamId,
          responseMessageId: job.responseMessageId,
          onText,
          request: fitted,
          tools: await this.tools.forRun(agent.tools ?? []),
          scope: {
            userId: job.userId,
            agentId: job.agentId,
            conversationId: job.kind === 'completion' ? null : job.conversationId,
            // The agent's files for its tools, and the conversation's (scoped per call by the factory).
            files: this.toolFiles.forCall({
              userId: job.userId,
              conversationId: job.kind === 'completion' ? null : job.conversationId,
              toolResources: agent.tool_resources,
            }),
          },
          limits: this.limitsFor(agent),
        },
        provider,
        signal,
      );
      if (outcome.status === 'aborted' && signal.reason === SHUTDOWN_ABORT) {
        // Cut off by the worker, not stopped by the user: one truth for stream, status and message.
        return { ...outcome, ...who, status: 'failed', error: SHUTDOWN_FAILURE };
      }
      return { ...outcome, ...who };
    } catch (err) {
      const { error, failure } = providerFailed(err, { streamId: job.streamId, provider: agent.provider });
      return { ...failed(error), failure, ...who };
    }
  }

  /** The run's bounds: the agent's recursion_limit (within the server's maximum) and the service's. */
  private limitsFor(agent: AgentSnapshot): RunLimits {
    const tools = this.config.tools;
    return {
      maxSteps: Math.min(agent.recursion_limit ?? DEFAULT_STEPS, MAX_STEPS),
      budgetMs: tools.generationTimeoutMs,
      timeoutMs: tools.timeoutMs,
      outputMaxChars: tools.outputMaxChars,
      concurrency: tools.concurrency,
    };
  }

  /**
   * Stores what a generation whose worker died had streamed — the stream's own log, folded — as a
   * failed, unfinished message, so the conversation shows what its user saw. Resolves the message
   * (also one its worker stored before it died), or null for a completion, which has no conversation.
   */
  async storeCutOff(state: GenerationState, error: string): Promise<MessageEntity | null> {
    const [conversation, stored, newest] = await Promise.all([
      retryTransient(() => this.conversations.findOwned(state.userId, state.conversationId)),
      retryTransient(() => this.messages.findById(state.responseMessageId)),
      retryTransient(() => this.versions.listNewestFirst(state.agentId, 1)),
    ]);
    if (!conversation || stored) return stored;
    const events = (await readLog(this.bus, state.streamId)) ?? [];
    const { aggregatedContent: content, attachments } = resumeSnapshot(state.streamId, events).resumeState;
    const text = content.map((part) => (part.type === 'text' ? part.text : '')).join('');
    const reasoning = content.map((part) => (part.type === 'think' ? part.think : '')).join('');
    const { message } = await this.store(state, {
      status: 'failed',
      text,
      reasoning,
      content,
      attachments,
      error,
      sender: newest[0]?.snapshot.name ?? 'Agent',
      model: newest[0]?.snapshot.model ?? null,
    });
    return message;
  }

  /**
   * The response is stored (complete, failed or unfinished) before anyone is told it exists, with
   * its usage recorded in the same statement when the worker that ran it stores it. Resolves the
   * message and its conversation as it now is (null when the conversation was deleted meanwhile:
   * nothing is stored then, and the usage stays unrecorded until its reservation expires).
   */
  private async store(
    job: ResponseOwner,
    outcome: PinnedOutcome,
    finished?: FinishedGeneration,
  ): Promise<{ message: MessageEntity; conversation: ConversationEntity | null }> {
    const message = Object.assign(new MessageEntity(), {
      id: job.responseMessageId,
      conversationId: job.conversationId,
      parentMessageId: job.userMessageId,
      userId: job.userId,
      sender: outcome.sender,
      isCreatedByUser: false,
      text: outcome.text,
      content: outcome.content,
      attachments: outcome.attachments,
      files: [],
      unfinished: outcome.status !== 'completed',
      error: outcome.status === 'failed',
      agentId: job.agentId,
      model: outcome.model,
      promptTokens: outcome.usage?.promptTokens ?? null,
      completionTokens: outcome.usage?.completionTokens ?? null,
      reasoningTokens: outcome.usage?.reasoningTokens ?? null,
      cachedTokens: outcome.usage?.cachedTokens ?? null,
      provider: outcome.provider ?? null,
      agentVersion: finished?.agentVersion ?? null,
      createdAt: new Date(),
    });
    // Retried on a lost connection; idempotent, as the first attempt may have committed unheard.
    // The answer has been streamed already: it is worth waiting out a database outage of seconds.
    const conversation = await retryTransient(
      () => this.messages.storeAnswer(message, finished && this.usage.writes(finished)),
      { attempts: STORE_ATTEMPTS, what: 'Storing an answer' },
    );
    return { message, conversation };
  }

  private async announce(
    job: ConversationGenerationJob,
    outcome: GenerationOutcome,
    { message, conversation }: { message: MessageEntity; conversation: ConversationEntity | null },
    request: MessageEntity | null,
  ): Promise<void> {
    if (outcome.status === 'failed') {
      await this.publishTerminal(
        job.streamId,
        streamEvents.error(outcome.error ?? 'The generation failed', {
          responseMessage: ChatMessageDto.from(message),
        }),
      );
      return;
    }
    await this.publishTerminal(
      job.streamId,
      streamEvents.final(
        {
          conversation: conversation ? ConversationDto.from(conversation) : null,
          title: conversation?.title ?? null,
          requestMessage: request ? ChatMessageDto.from(request) : null,
          responseMessage: ChatMessageDto.from(message),
        },
        outcome.status === 'aborted',
      ),
    );
  }

  /** Ends the generation's state, riding out a short Redis outage (state lost with Redis: nothing to end). */
  private async finish(streamId: string, outcome: GenerationOutcome): Promise<void> {
    await whenRedisAvailable(() => this.state.finish(streamId, outcome.status, outcome.error));
  }

  /**
   * Publishes the terminal event, riding out a short Redis outage. When Redis lost the stream (it
   * came back empty), a new stream holding just this event still tells a client that reconnects —
   * its ids are above anything the client saw — how the generation ended.
   */
  private async publishTerminal(streamId: string, payload: StreamEventPayload): Promise<void> {
    try {
      await whenRedisAvailable(() => this.bus.publish(streamId, payload, { terminal: true }));
    } catch (err) {
      if (!(err instanceof StreamNotFoundError)) throw err;
      // Not over a stream open meanwhile: that is a newer generation of the conversation's.
      if (await this.bus.create(streamId)) await this.bus.publish(streamId, payload, { terminal: true });
    }
  }
}

function failed(error: string): GenerationOutcome {
  return { status: 'failed', text: '', reasoning: '', content: [], attachments: [], error };
}

/**
 * What the usage records of a generation: its owner, key, agent version, provider and model, and
 * what its calls reported. A generation whose agent was gone reached no provider: its reservation
 * is only released.
 */
function finishedOf(job: GenerationJob, outcome: PinnedOutcome): FinishedGeneration {
  return {
    id: job.responseMessageId,
    userId: job.userId,
    apiKeyId: job.apiKeyId ?? null,
    agentId: job.agentId,
    agentVersion: job.agentVersion,
    provider: outcome.provider ?? '',
    model: outcome.model ?? '',
    usage: outcome.provider ? outcome.usage : undefined,
    at: new Date(),
  };
}
