import { Inject, Injectable } from '@nestjs/common';
import type { AuthUser } from '@agents/auth';
import {
  EVENT_BUS,
  GENERATION_STATE,
  type EventBus,
  type GenerationState,
  type GenerationStateStore,
  readLog,
} from '@agents/streaming';
import { ConversationsRepository } from './conversations.repository';
import type { GenerationStatusDto, ResumeStateDto } from './dto/chat.dto';
import { ChatMessageDto } from './dto/conversation.dto';
import { MessagesRepository } from './messages.repository';
import { resumeSnapshot } from './resume-snapshot';
import { isChatMessage } from './stream-events';

/**
 * What the api knows of a conversation's generations (docs/http-api.md § Chat): the caller's running
 * ones, and the latest one's status with its answer so far, folded from the stream's events the
 * way the `resume=true` sync frame folds them.
 */
@Injectable()
export class ChatStatusService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(GENERATION_STATE) private readonly state: GenerationStateStore,
  ) {}

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
    const events = await readLog(this.bus, state.streamId);
    if (events) {
      const snapshot = resumeSnapshot(state.streamId, events).resumeState;
      // The created event carries ChatMessageDto.from(the user message), as published by start().
      const userMessage = snapshot.userMessage;
      if (isChatMessage(userMessage) && userMessage.messageId === state.userMessageId) {
        return {
          runSteps: snapshot.runSteps,
          aggregatedContent: snapshot.aggregatedContent,
          attachments: snapshot.attachments,
          userMessage,
          responseMessageId: snapshot.responseMessageId ?? state.responseMessageId,
          conversationId: state.conversationId,
          ...(snapshot.title !== undefined ? { title: snapshot.title } : {}),
        };
      }
    }
    const stored = await this.messages.findById(state.userMessageId);
    return {
      runSteps: [],
      aggregatedContent: state.aggregatedContent === '' ? [] : [{ type: 'text', text: state.aggregatedContent }],
      attachments: [],
      userMessage: stored ? ChatMessageDto.from(stored) : null,
      responseMessageId: state.responseMessageId,
      conversationId: state.conversationId,
    };
  }
}
