import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '@agents/agents';
import { AuthModule } from '@agents/auth';
import { AppConfig } from '@agents/core';
import { ProvidersModule } from '@agents/providers';
import { StreamingModule } from '@agents/streaming';
import { VersionsModule } from '@agents/versions';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { ConversationEntity } from './conversation.entity';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { GENERATION_JOBS, GenerationJobsShutdown, createGenerationJobs } from './generation/generation-queue';
import { CONSUME_GENERATION_JOBS, GenerationProcessor } from './generation/generation.processor';
import { GenerationService } from './generation/generation.service';
import { IdempotencyJanitor, IdempotencyRepository } from './idempotency.repository';
import { MessageEntity } from './message.entity';
import { MessagesRepository } from './messages.repository';
import { SseConnections } from './sse-connections';
import { SseUserLimit } from './sse-user-limit';
import { StreamResponder } from './stream-responder';

/**
 * Conversations, messages, starting/aborting generations and their streams. `consumeJobs` is true
 * in the worker and, in the embedded mode, in the api process (one process does everything);
 * a distributed api never runs a provider call.
 */
@Module({})
export class ChatModule {
  static forRoot(options: { consumeJobs: boolean }): DynamicModule {
    return {
      module: ChatModule,
      imports: [
        TypeOrmModule.forFeature([ConversationEntity, MessageEntity]),
        AgentsModule,
        AuthModule, // stream tickets
        VersionsModule,
        ProvidersModule,
        StreamingModule,
      ],
      controllers: [ConversationsController, ChatController],
      providers: [
        ConversationsRepository,
        MessagesRepository,
        ConversationsService,
        ChatService,
        IdempotencyRepository,
        IdempotencyJanitor,
        StreamResponder,
        SseConnections,
        SseUserLimit,
        GenerationService,
        GenerationProcessor,
        { provide: GENERATION_JOBS, inject: [AppConfig], useFactory: createGenerationJobs },
        { provide: CONSUME_GENERATION_JOBS, useValue: options.consumeJobs },
        GenerationJobsShutdown,
      ],
      exports: [ConversationsRepository, MessagesRepository, GENERATION_JOBS],
    };
  }
}
