import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
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
import { SearchController } from './search/search.controller';
import { SearchRepository } from './search/search.repository';
import { SearchService } from './search/search.service';
import { ConversationShareEntity } from './shares/share.entity';
import { PublicSharesController, SharesController } from './shares/shares.controller';
import { SharesRepository } from './shares/shares.repository';
import { SharesService } from './shares/shares.service';
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
    TypeOrmModule.forFeature([ConversationShareEntity]),
  ],
  controllers: [
    ConversationsController,
    MessagesController,
    AgentFeedbackController,
    ChatController,
    SearchController,
    SharesController,
    PublicSharesController,
  ],
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
    SearchService,
    SearchRepository,
    SharesService,
    SharesRepository,
  ],
})
export class ChatModule {}
