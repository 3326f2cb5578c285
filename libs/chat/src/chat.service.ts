import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AgentAccessPolicy } from '@agents/agents';
import type { AuthUser } from '@agents/auth';
import {
  ConflictError,
  DatabaseService,
  NotFoundError,
  UnprocessableError,
  ValidationFailedError,
  isForeignKeyViolation,
  isUniqueViolation,
} from '@agents/core';
import { ContextBudget } from '@agents/providers';
import { ChatFiles, messageFileRef, type ChatFileRow } from './chat-files';
import { assertTextWithinBudget } from './context-limits';
import { ConversationEntity } from './conversation.entity';
import { ConversationsRepository } from './conversations.repository';
import {
  NO_PARENT_MESSAGE_ID,
  type AbortChatDto,
  type ChatFileDto,
  type StartChatDto,
  type StartChatResponseDto,
} from './dto/chat.dto';
import { ChatMessageDto } from './dto/conversation.dto';
import { GenerationLauncher } from './generation-launcher';
import type { GenerationJob } from './generation-job';
import { IdempotencyRepository } from './idempotency.repository';
import { MessageEntity } from './message.entity';
import { MESSAGE_CONVERSATION_CONSTRAINT, MESSAGE_ID_CONSTRAINT, MessagesRepository } from './messages.repository';
import { streamEvents } from './stream-events';

const TITLE_LENGTH = 60;
/** How long a retry waits for a concurrent request with the same idempotency key: 20 × 100 ms. */
const IN_PROGRESS_POLLS = 20;
const IN_PROGRESS_POLL_MS = 100;

/**
 * Starting and stopping a conversation's generations. The api never calls a provider: it
 * authorizes USE, reserves the conversation's stream (one running generation per conversation),
 * stores the conversation and the user message, and has the GenerationLauncher announce `created`
 * and enqueue the job for a worker. What is chat's own stays here: the rows, their transaction,
 * idempotent retries.
 */
@Injectable()
export class ChatService {
  constructor(
    private readonly db: DatabaseService,
    private readonly access: AgentAccessPolicy,
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly idempotency: IdempotencyRepository,
    private readonly budget: ContextBudget,
    private readonly launcher: GenerationLauncher,
    private readonly files: ChatFiles,
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
    if (dto.isRegenerate === true) return this.startRegenerate(user, dto, idempotencyKey);
    const existing = isNewConversation(dto.conversationId) ? null : dto.conversationId!;
    // Independent reads, in parallel: the start path's latency is its round trips.
    const [agent, conversation, files] = await Promise.all([
      this.access.usableAgent(user, dto.agent_id),
      existing === null ? null : this.conversations.findOwned(user.id, existing),
      this.ownedFiles(user, dto.files ?? []),
    ]);
    assertTextWithinBudget(this.budget, agent.instructions, dto.text);
    if (existing !== null && !conversation) throw new NotFoundError('Conversation not found');
    const conversationId = conversation?.id ?? randomUUID();
    const parentMessageId = await this.parentFor(conversation, dto.parentMessageId);

    const userMessageId = dto.messageId ?? randomUUID();
    const responseMessageId = randomUUID();
    await this.launcher.reserve(
      {
        streamId: conversationId,
        conversationId,
        userId: user.id,
        agentId: agent.id,
        userMessageId,
        responseMessageId,
      },
      { apiKeyId: user.apiKeyId, provider: agent.provider, model: agent.model },
    );
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
      files: files.map(messageFileRef),
      unfinished: false,
      error: false,
      agentId: agent.id,
      model: null,
      promptTokens: null,
      completionTokens: null,
      createdAt: now,
    });
    const newConversation = conversation ? null : { title: dto.text.slice(0, TITLE_LENGTH).trim() || 'New Chat' };
    const job: GenerationJob = {
      streamId: conversationId,
      conversationId,
      userId: user.id,
      agentId: agent.id,
      agentVersion: agent.version,
      userMessageId: userMessage.id,
      responseMessageId,
      ...(user.apiKeyId ? { apiKeyId: user.apiKeyId } : {}),
      // The worker may give a new conversation a generated title in place of this one.
      ...(newConversation ? { fallbackTitle: newConversation.title } : {}),
    };
    const response: StartChatResponseDto = {
      streamId: conversationId,
      conversationId,
      status: 'started',
      userMessageId: userMessage.id,
      responseMessageId,
    };
    // The turn's rows in one statement; a transaction only when more has to commit with them.
    const storeTurn = (m: EntityManager) =>
      this.messages.insertTurn(m, userMessage, newConversation).catch(rethrowTakenMessageId);
    await this.launcher.launch(job, {
      onBeforeEnqueue: () =>
        idempotencyKey === undefined && files.length === 0
          ? storeTurn(this.db.manager)
          : this.db.transaction(async (m) => {
              if (idempotencyKey !== undefined) await this.idempotency.complete(m, user.id, idempotencyKey, response);
              await storeTurn(m);
              // The conversation's tools (file_search, code_interpreter) see the files attached to it.
              await this.files.attach(
                files.map((file) => file.id),
                conversationId,
                m,
              );
            }),
      created: streamEvents.created(ChatMessageDto.from(userMessage), conversationId),
      failureMessage: 'The message could not be sent; please try again',
    });
    return response;
  }

  /**
   * Answers a user message of the conversation again (LibreChat's regenerate): nothing is stored
   * before the job, and the worker stores the new answer under that message, beside its earlier
   * answers; the provider hears the thread from the root down to that message. The message is
   * `overrideParentMessageId` (LibreChat's field) or else `parentMessageId`; the `created` event
   * carries it as stored. `text`, `messageId` and `files` are not used: the stored message is
   * answered with its own.
   */
  private async startRegenerate(
    user: AuthUser,
    dto: StartChatDto,
    idempotencyKey: string | undefined,
  ): Promise<StartChatResponseDto> {
    if (isNewConversation(dto.conversationId)) {
      throw new ValidationFailedError([
        { field: 'conversationId', message: 'regenerating answers a message of an existing conversation: name it' },
      ]);
    }
    const field = dto.overrideParentMessageId ? 'overrideParentMessageId' : 'parentMessageId';
    const answeredId = dto.overrideParentMessageId ?? dto.parentMessageId;
    if (answeredId === undefined || answeredId === NO_PARENT_MESSAGE_ID) {
      throw new ValidationFailedError([
        { field: 'parentMessageId', message: 'name the user message to answer again when regenerating' },
      ]);
    }
    const [agent, conversation] = await Promise.all([
      this.access.usableAgent(user, dto.agent_id),
      this.conversations.findOwned(user.id, dto.conversationId!),
    ]);
    if (!conversation) throw new NotFoundError('Conversation not found');
    const answered = await this.messages.findInConversation(conversation.id, answeredId);
    if (!answered) {
      throw new ValidationFailedError([{ field, message: 'no such message in this conversation' }]);
    }
    if (!answered.isCreatedByUser) {
      throw new ValidationFailedError([
        { field, message: 'is an answer: name the user message it answered to regenerate it' },
      ]);
    }
    const responseMessageId = randomUUID();
    await this.launcher.reserve(
      {
        streamId: conversation.id,
        conversationId: conversation.id,
        userId: user.id,
        agentId: agent.id,
        userMessageId: answered.id,
        responseMessageId,
      },
      { apiKeyId: user.apiKeyId, provider: agent.provider, model: agent.model },
    );
    const job: GenerationJob = {
      streamId: conversation.id,
      conversationId: conversation.id,
      userId: user.id,
      agentId: agent.id,
      agentVersion: agent.version,
      userMessageId: answered.id,
      responseMessageId,
      ...(user.apiKeyId ? { apiKeyId: user.apiKeyId } : {}),
    };
    const response: StartChatResponseDto = {
      streamId: conversation.id,
      conversationId: conversation.id,
      status: 'started',
      userMessageId: answered.id,
      responseMessageId,
    };
    await this.launcher.launch(job, {
      onBeforeEnqueue: async () => {
        if (idempotencyKey !== undefined) {
          await this.idempotency.complete(this.db.manager, user.id, idempotencyKey, response);
        }
      },
      created: streamEvents.created(ChatMessageDto.from(answered), conversation.id),
      failureMessage: 'The answer could not be regenerated; please try again',
    });
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
    if (!(await this.conversations.findOwned(user.id, streamId)) || !(await this.launcher.isLive(streamId))) {
      throw new NotFoundError('No generation found for this stream');
    }
    await this.launcher.abort(streamId);
    return streamId;
  }

  /**
   * The attached files, each once, in the order given. Each must be one of the caller's files: any
   * other id (another user's file, or none at all) is a 400 naming it, and reveals nothing more.
   */
  private async ownedFiles(user: AuthUser, attached: ChatFileDto[]): Promise<ChatFileRow[]> {
    if (attached.length === 0) return [];
    const ids = attached.map((file) => file.file_id.toLowerCase());
    const owned = new Map((await this.files.owned(user.id, [...new Set(ids)])).map((file) => [file.id, file]));
    const missing = ids.flatMap((id, i) =>
      owned.has(id) ? [] : [{ field: `files[${i}].file_id`, message: 'no such file among yours' }],
    );
    if (missing.length > 0) throw new ValidationFailedError(missing);
    return [...new Set(ids)].map((id) => owned.get(id)!);
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

/**
 * What makes two starts "the same request": every field except the key itself. A regenerate adds
 * its flag and the message it answers (only then, so the fingerprints of other starts stay as they were).
 */
function fingerprintOf(dto: StartChatDto): string {
  const canonical = JSON.stringify([
    dto.agent_id,
    dto.text,
    isNewConversation(dto.conversationId) ? 'new' : dto.conversationId,
    dto.parentMessageId ?? null,
    dto.messageId ?? null,
    (dto.files ?? []).map((f) => f.file_id),
    ...(dto.isRegenerate === true ? ['regenerate', dto.overrideParentMessageId ?? null] : []),
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
  // The conversation was deleted between the start's read of it and its message's insert.
  if (isForeignKeyViolation(err, MESSAGE_CONVERSATION_CONSTRAINT)) throw new NotFoundError('Conversation not found');
  throw err;
}
