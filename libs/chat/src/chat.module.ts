import { Module } from '@nestjs/common';
import { AgentsModule } from '@agents/agents';
import { AuthModule } from '@agents/auth';
import { ProvidersModule } from '@agents/providers';
import { StreamingModule } from '@agents/streaming';
import { AgentFeedbackController } from './agent-feedback.controller';
import { ChatDataModule } from './chat-data.module';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { ChatStatusService } from './chat-status.service';
import { ConversationDeletionService } from './conversation-deletion.service';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { IdempotencyJanitor, IdempotencyRepository } from './idempotency.repository';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { SseConnections } from './sse-connections';
import { SseUserLimit } from './sse-user-limit';
import { StreamResponder } from './stream-responder';

/**
 * The HTTP side of chat: conversations and messages, starting and aborting generations, their
 * streams and status. It never runs a provider call: it puts jobs on the queue (ChatDataModule),
 * and whichever process imports GenerationModule — the worker, or the api itself in the embedded
 * mode — runs them.
 */
@Module({
  imports: [
    ChatDataModule,
    AgentsModule,
    AuthModule, // stream tickets
    ProvidersModule, // the context budget a message must fit
    StreamingModule,
  ],
  controllers: [ConversationsController, MessagesController, AgentFeedbackController, ChatController],
  providers: [
    ConversationsService,
    ConversationDeletionService,
    MessagesService,
    ChatService,
    ChatStatusService,
    IdempotencyRepository,
    IdempotencyJanitor,
    StreamResponder,
    SseConnections,
    SseUserLimit,
  ],
})
export class ChatModule {}
