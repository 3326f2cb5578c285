import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { AgentAccessPolicy, AgentsRepository } from '@agents/agents';
import type { AuthUser } from '@agents/auth';
import {
  AppConfig,
  ConflictError,
  DatabaseService,
  NotFoundError,
  TooManyRequestsError,
  UnprocessableError,
  ValidationFailedError,
  isUniqueViolation,
} from '@agents/core';
import { ContextBudget } from '@agents/providers';
import {
  EVENT_BUS,
  GENERATION_STATE,
  type EventBus,
  type GenerationState,
  type GenerationStateStore,
  type StreamEvent,
} from '@agents/streaming';
import { assertTextWithinBudget } from './context-limits';
import { ConversationEntity } from './conversation.entity';
import { ConversationsRepository } from './conversations.repository';
import {
  NO_PARENT_MESSAGE_ID,
  type AbortChatDto,
  type GenerationStatusDto,
  type ResumeStateDto,
  type StartChatDto,
  type StartChatResponseDto,
} from './dto/chat.dto';
import { ChatMessageDto } from './dto/conversation.dto';
import { IdempotencyRepository } from './idempotency.repository';
import { GENERATION_JOBS, generationJobId, type GenerationJobs } from './generation-queue';
import type { GenerationJob } from './generation-job';
import { MessageEntity } from './message.entity';
import { MESSAGE_ID_CONSTRAINT, MessagesRepository } from './messages.repository';
import { resumeSnapshot } from './resume-snapshot';
import { isChatMessage, streamEvents } from './stream-events';

const TITLE_LENGTH = 60;
/** How long a retry waits for a concurrent request with the same idempotency key: 20 × 100 ms. */
const IN_PROGRESS_POLLS = 20;
const IN_PROGRESS_POLL_MS = 100;

/**
 * Starting and stopping generations. The api never calls a provider: it authorizes USE, stores
 * the user message, reserves the conversation's stream (one running generation per
 * conversation), announces `created`, and enqueues the job for a worker.
 */
@Injectable()
export class ChatService {
  constructor(
    private readonly db: DatabaseService,
    private readonly access: AgentAccessPolicy,
    private readonly agents: AgentsRepository,
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(GENERATION_JOBS) private readonly jobs: GenerationJobs,
    @Inject(GENERATION_STATE) private readonly state: GenerationStateStore,
    private readonly config: AppConfig,
    private readonly idempotency: IdempotencyRepository,
    private readonly budget: ContextBudget,
  ) {}

  /**
   * Starts a generation. With an idempotency key (the `Idempotency-Key` header or `clientRequestId`),
   * a retry within 24 hours returns the original answer and starts nothing; the same key with a
   * different request is refused (422).
   */
  async start(user: AuthUser, dto: StartChatDto, idempotencyKey?: string): Promise<StartChatResponseDto> {
    const key = idempotencyKeyOf(dto, idempotencyKey);
    if (key === undefined) return this.startNew(user, dto, undefined);
    const fingerprint = fingerprintOf(dto);
    for (let poll = 0; ; poll++) {
      const claim = await this.idempotency.claim<StartChatResponseDto>(user.id, key, fingerprint);
      if (claim.state === 'claimed') break;
      if (claim.fingerprint !== fingerprint) {
        throw new UnprocessableError(
          'This idempotency key was already used with a different request; use a new key for a new message',
        );
      }
      if (claim.response) return claim.response;
      // The same request is being started right now (a concurrent retry): wait for its answer.
      if (poll >= IN_PROGRESS_POLLS) {
        throw new ConflictError('A request with this idempotency key is still being processed; retry in a moment');
      }
      await new Promise((resolve) => setTimeout(resolve, IN_PROGRESS_POLL_MS));
    }
    try {
      return await this.startNew(user, dto, key);
    } catch (err) {
      await this.idempotency.release(user.id, key).catch(() => undefined);
      throw err;
    }
  }

  private async startNew(
    user: AuthUser,
    dto: StartChatDto,
    idempotencyKey: string | undefined,
  ): Promise<StartChatResponseDto> {
    const existing = isNewConversation(dto.conversationId) ? null : dto.conversationId!;
    // Independent reads, in parallel: the start path's latency is its round trips.
    const [, agent, conversation] = await Promise.all([
      this.access.assertCan(user, dto.agent_id, 'use'),
      this.agents.findById(dto.agent_id),
      existing === null ? null : this.conversations.findOwned(user.id, existing),
    ]);
    if (!agent) throw new NotFoundError(`Agent ${dto.agent_id} not found`);
    assertTextWithinBudget(this.budget, agent.instructions, dto.text);
    if (existing !== null && !conversation) throw new NotFoundError('Conversation not found');
    const conversationId = conversation?.id ?? randomUUID();
    const parentMessageId = await this.parentFor(conversation, dto.parentMessageId);

    const userMessageId = dto.messageId ?? randomUUID();
    const responseMessageId = randomUUID();
    const reserved = await this.state.reserve(
      {
        streamId: conversationId,
        conversationId,
        userId: user.id,
        agentId: agent.id,
        userMessageId,
        responseMessageId,
      },
      { maxPerUser: this.config.maxConcurrentGenerations },
    );
    if (reserved === 'busy') throw busy();
    if (reserved === 'limit') {
      throw new TooManyRequestsError(
        `You already have ${this.config.maxConcurrentGenerations} generations running; wait for one to finish`,
        5,
      );
    }
    if (!(await this.bus.create(conversationId))) {
      await this.state.finish(conversationId, 'failed', 'stream already open');
      throw busy();
    }
    const now = new Date();
    const userMessage = Object.assign(new MessageEntity(), {
      id: userMessageId,
      conversationId,
      parentMessageId,
      userId: user.id,
      sender: 'User',
      isCreatedByUser: true,
      text: dto.text,
      content: [{ type: 'text', text: dto.text }],
      unfinished: false,
      error: false,
      agentId: agent.id,
      model: null,
      promptTokens: null,
      completionTokens: null,
      createdAt: now,
    });
    const job: GenerationJob = {
      streamId: conversationId,
      conversationId,
      userId: user.id,
      agentId: agent.id,
      agentVersion: agent.version,
      userMessageId: userMessage.id,
      responseMessageId,
    };
    const response: StartChatResponseDto = {
      streamId: conversationId,
      conversationId,
      status: 'started',
      userMessageId: userMessage.id,
      responseMessageId,
    };
    try {
      await this.db.transaction(async (m) => {
        if (idempotencyKey !== undefined) await this.idempotency.complete(m, user.id, idempotencyKey, response);
        if (!conversation) {
          await this.conversations.insert(
            m,
            Object.assign(new ConversationEntity(), {
              id: conversationId,
              userId: user.id,
              agentId: agent.id,
              title: dto.text.slice(0, TITLE_LENGTH).trim() || 'New Chat',
              createdAt: now,
              updatedAt: now,
            }),
          );
        } else {
          await this.conversations.touch(m, conversationId, now);
        }
        await this.messages.insert(m, userMessage).catch(rethrowTakenMessageId);
      });
      await this.bus.publish(conversationId, streamEvents.created(ChatMessageDto.from(userMessage), conversationId));
      await this.jobs.add(generationJobId(job), job);
    } catch (err) {
      // Release the reservation so the conversation is not blocked by a start that never began.
      await this.state.finish(conversationId, 'failed', 'not started').catch(() => undefined);
      await this.bus
        .publish(conversationId, streamEvents.error('The message could not be sent; please try again'), {
          terminal: true,
        })
        .catch(() => undefined);
      throw err;
    }
    return response;
  }

  /**
   * Tells whichever worker holds the generation — now, or once a queued job is picked up — to stop;
   * it saves the partial answer and ends the stream.
   */
  async abort(user: AuthUser, dto: AbortChatDto): Promise<string> {
    const streamId = dto.streamId ?? dto.conversationId ?? dto.abortKey?.split(':')[0];
    if (!streamId) {
      throw new ValidationFailedError([{ field: 'streamId', message: 'give streamId, conversationId or abortKey' }]);
    }
    if (!(await this.conversations.findOwned(user.id, streamId)) || !(await this.bus.exists(streamId))) {
      throw new NotFoundError('No generation found for this stream');
    }
    // The flag first, then the message: a worker that listens already gets the message, one that
    // has not started yet (the job is queued) finds the flag when it starts.
    await this.state.requestAbort(streamId);
    await this.bus.publishControl(streamId, { type: 'abort' });
    return streamId;
  }

  /** The caller's running generations. */
  active(user: AuthUser): Promise<string[]> {
    return this.state.activeFor(user.id);
  }

  /**
   * The latest generation of one of the caller's conversations (docs/http-api.md § Chat); another's
   * is as unknown as none. Its content and resume state are folded from the stream's events,
   * exactly like the `resume=true` sync frame.
   */
  async status(user: AuthUser, conversationId: string): Promise<GenerationStatusDto> {
    if (!(await this.conversations.findOwned(user.id, conversationId))) return { active: false };
    const state = await this.state.get(conversationId);
    if (state?.userId !== user.id) return { active: false };
    const resumeState = await this.resumeStateOf(state);
    return {
      active: state.status === 'running',
      streamId: state.streamId,
      status: state.status,
      aggregatedContent: resumeState.aggregatedContent,
      createdAt: state.createdAt,
      resumeState,
    };
  }

  /**
   * The generation's resume state, from its stream's log when that log still holds the whole
   * generation (it begins with this generation's `created` event); otherwise — the log expired,
   * was capped, or is not yet this generation's — from the state's text as one text part and the
   * stored user message.
   */
  private async resumeStateOf(state: GenerationState): Promise<ResumeStateDto> {
    const events = await this.backlogOf(state.streamId);
    if (events) {
      const snapshot = resumeSnapshot(state.streamId, events).resumeState;
      // The created event carries ChatMessageDto.from(the user message), as published by start().
      const userMessage = snapshot.userMessage;
      if (isChatMessage(userMessage) && userMessage.messageId === state.userMessageId) {
        return {
          runSteps: snapshot.runSteps,
          aggregatedContent: snapshot.aggregatedContent,
          userMessage,
          responseMessageId: snapshot.responseMessageId ?? state.responseMessageId,
          conversationId: state.conversationId,
        };
      }
    }
    const stored = await this.messages.findById(state.userMessageId);
    return {
      runSteps: [],
      aggregatedContent: state.aggregatedContent === '' ? [] : [{ type: 'text', text: state.aggregatedContent }],
      userMessage: stored ? ChatMessageDto.from(stored) : null,
      responseMessageId: state.responseMessageId,
      conversationId: state.conversationId,
    };
  }

  /**
   * The events a stream's log holds now, or null once the log is gone. Both bus adapters hand a
   * subscription its backlog before `subscribe` resolves, so subscribing from the start and closing
   * at once reads exactly the log.
   */
  private async backlogOf(streamId: string): Promise<StreamEvent[] | null> {
    const events: StreamEvent[] = [];
    const subscription = await this.bus.subscribe(streamId, '0', (event) => {
      events.push(event);
    });
    if (!subscription) return null;
    const backlog = [...events];
    await subscription.close();
    return backlog;
  }

  /** Owner check for the SSE route: a stranger's stream does not exist. */
  async assertOwnsStream(user: AuthUser, streamId: string): Promise<void> {
    if (!(await this.conversations.findOwned(user.id, streamId))) throw new NotFoundError('Stream not found');
  }

  private async parentFor(
    conversation: ConversationEntity | null,
    requested: string | undefined,
  ): Promise<string | null> {
    // LibreChat's "no parent": the message is a root, in a new conversation or as a new thread of this one.
    if (requested === NO_PARENT_MESSAGE_ID) return null;
    if (!conversation) {
      if (requested !== undefined) {
        throw new ValidationFailedError([
          { field: 'parentMessageId', message: 'a new conversation has no messages yet' },
        ]);
      }
      return null;
    }
    if (requested === undefined) return (await this.messages.latestIn(conversation.id))?.id ?? null;
    const parent = await this.messages.findById(requested);
    if (parent?.conversationId !== conversation.id) {
      throw new ValidationFailedError([{ field: 'parentMessageId', message: 'no such message in this conversation' }]);
    }
    return parent.id;
  }
}

/** "new", null (LibreChat) and an omitted id all start a conversation. */
function isNewConversation(conversationId: string | null | undefined): boolean {
  return conversationId === undefined || conversationId === null || conversationId === 'new';
}

function idempotencyKeyOf(dto: StartChatDto, header: string | undefined): string | undefined {
  if (header !== undefined && dto.clientRequestId !== undefined && header !== dto.clientRequestId) {
    throw new ValidationFailedError([
      { field: 'clientRequestId', message: 'differs from the Idempotency-Key header; send one or make them equal' },
    ]);
  }
  return header ?? dto.clientRequestId;
}

/** What makes two starts "the same request": every field except the key itself. */
function fingerprintOf(dto: StartChatDto): string {
  const canonical = JSON.stringify([
    dto.agent_id,
    dto.text,
    isNewConversation(dto.conversationId) ? 'new' : dto.conversationId,
    dto.parentMessageId ?? null,
    dto.messageId ?? null,
    (dto.files ?? []).map((f) => f.file_id),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * A client-chosen `messageId` that exists already — the caller's or anyone else's — is one 409
 * with one message, so the answer reveals nothing about other users' messages. Thrown inside the
 * start's transaction, it rolls it back (no conversation, no message); the start's catch then
 * releases the reserved stream.
 */
function rethrowTakenMessageId(err: unknown): never {
  if (isUniqueViolation(err, MESSAGE_ID_CONSTRAINT)) {
    throw new ConflictError('messageId is already in use; choose another or omit it');
  }
  throw err;
}

function busy(): ConflictError {
  return new ConflictError('A generation is already running in this conversation; wait for it or abort it');
}
