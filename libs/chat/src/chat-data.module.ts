import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@agents/core';
import { StreamingModule } from '@agents/streaming';
import { FilesDataModule } from '@agents/files';
import { UsageDataModule } from '@agents/usage';
import { ChatFiles, StoredChatFiles } from './chat-files';
import { ConversationEntity } from './conversation.entity';
import { ConversationsRepository } from './conversations.repository';
import { GenerationLauncher } from './generation-launcher';
import { GENERATION_JOBS, GenerationJobsShutdown, createGenerationJobs } from './generation-queue';
import { MessageEntity } from './message.entity';
import { MessagesRepository } from './messages.repository';

/**
 * What both halves of a conversation share, and nothing that serves HTTP: the conversation and
 * message tables, the files a message may attach (ChatFiles), the generation queue, and the
 * GenerationLauncher that starts and aborts generations on it (chat's and the OpenAI-compatible API's alike). The api (ChatModule, OpenAICompatModule) puts jobs on
 * the queue; the worker side (GenerationModule) takes them and stores the answers. Imported by
 * all of them, it is one instance per process, so there is one queue per process.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([ConversationEntity, MessageEntity]),
    StreamingModule,
    FilesDataModule,
    UsageDataModule,
  ],
  providers: [
    ConversationsRepository,
    MessagesRepository,
    { provide: GENERATION_JOBS, inject: [AppConfig], useFactory: createGenerationJobs },
    GenerationJobsShutdown,
    GenerationLauncher,
    { provide: ChatFiles, useClass: StoredChatFiles },
  ],
  exports: [ConversationsRepository, MessagesRepository, GENERATION_JOBS, GenerationLauncher, ChatFiles],
})
export class ChatDataModule {}
