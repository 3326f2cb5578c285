import { Inject, Injectable } from '@nestjs/common';
import type { AuthUser } from '@agents/auth';
import { ConflictError, NotFoundError, ValidationFailedError } from '@agents/core';
import { GENERATION_STATE, type GenerationStateStore } from '@agents/streaming';
import { editedContent } from './conversation-export';
import { ConversationsRepository } from './conversations.repository';
import { ChatMessageDto, MessageFeedbackDto } from './dto/conversation.dto';
import type {
  AgentFeedbackDto,
  AgentVersionFeedbackDto,
  EditMessageDto,
  MessageFeedbackResultDto,
  SetFeedbackDto,
} from './dto/message-edits.dto';
import { FEEDBACK_TAGS, type MessageEntity } from './message.entity';
import { MessagesRepository } from './messages.repository';

/**
 * What a user does to the messages of their own conversations: edit an answer's text, rate an
 * answer; and what an agent's editors read of those ratings: counts per version, nobody's name.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    @Inject(GENERATION_STATE) private readonly state: GenerationStateStore,
  ) {}

  /**
   * Replaces the text of an answer in one of the caller's conversations and marks it edited (see
   * {@link editedContent} for its content). The user's own messages are not edited here (400: a
   * changed question is a new message); an answer still being generated is a 409.
   */
  async edit(user: AuthUser, conversationId: string, messageId: string, dto: EditMessageDto): Promise<ChatMessageDto> {
    if (!(await this.conversations.findOwned(user.id, conversationId))) throw messageNotFound();
    const generation = await this.state.get(conversationId);
    if (generation?.status === 'running' && generation.responseMessageId === messageId) {
      throw new ConflictError('This answer is still being generated; wait for it to finish or abort it');
    }
    const message = await this.answer(conversationId, messageId, 'an edited question is sent as a new message');
    const edited = await this.messages.editText(message.id, dto.text, editedContent(message.content, dto.text));
    if (!edited) throw messageNotFound(); // deleted meanwhile
    return ChatMessageDto.from(edited);
  }

  /** Sets (replaces) the caller's rating of an answer in one of their conversations. */
  async setFeedback(
    user: AuthUser,
    conversationId: string,
    messageId: string,
    dto: SetFeedbackDto,
  ): Promise<MessageFeedbackResultDto> {
    if (dto.tag !== undefined && FEEDBACK_TAGS[dto.tag] !== dto.rating) {
      throw new ValidationFailedError([
        { field: 'tag', message: `${dto.tag} is a reason for ${FEEDBACK_TAGS[dto.tag]}` },
      ]);
    }
    await this.ownedAnswer(user, conversationId, messageId);
    const rated = await this.messages.setFeedback(messageId, {
      rating: dto.rating,
      tag: dto.tag ?? null,
      text: dto.text ?? null,
      at: new Date(),
    });
    const feedback = rated && MessageFeedbackDto.from(rated);
    if (!feedback) throw messageNotFound(); // deleted meanwhile
    return { messageId, conversationId, feedback };
  }

  /** Removes the caller's rating of an answer (none is fine: the answer is left without one). */
  async clearFeedback(user: AuthUser, conversationId: string, messageId: string): Promise<void> {
    await this.ownedAnswer(user, conversationId, messageId);
    await this.messages.setFeedback(messageId, null);
  }

  /** The ratings of an agent's answers per version (the route checked EDIT on the agent). */
  async agentFeedback(agentId: string): Promise<AgentFeedbackDto> {
    const versions = new Map<number | null, AgentVersionFeedbackDto>();
    for (const row of await this.messages.feedbackCounts(agentId)) {
      let version = versions.get(row.agentVersion);
      if (!version) {
        version = { agentVersion: row.agentVersion, thumbsUp: 0, thumbsDown: 0, tags: [] };
        versions.set(row.agentVersion, version);
      }
      version[row.rating] += row.count;
      if (row.tag !== null) version.tags.push({ tag: row.tag, count: row.count });
    }
    const list = [...versions.values()];
    for (const version of list) version.tags.sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag));
    return {
      agentId,
      thumbsUp: list.reduce((n, v) => n + v.thumbsUp, 0),
      thumbsDown: list.reduce((n, v) => n + v.thumbsDown, 0),
      versions: list,
    };
  }

  private async ownedAnswer(user: AuthUser, conversationId: string, messageId: string): Promise<MessageEntity> {
    if (!(await this.conversations.findOwned(user.id, conversationId))) throw messageNotFound();
    return this.answer(conversationId, messageId, 'only answers are rated');
  }

  /** The conversation's message `messageId`, which must be an answer (400 naming it otherwise). */
  private async answer(conversationId: string, messageId: string, why: string): Promise<MessageEntity> {
    const message = await this.messages.findInConversation(conversationId, messageId);
    if (!message) throw messageNotFound();
    if (message.isCreatedByUser) {
      throw new ValidationFailedError([{ field: 'messageId', message: `is one of your own messages: ${why}` }]);
    }
    return message;
  }
}

function messageNotFound(): NotFoundError {
  return new NotFoundError('Message not found');
}
