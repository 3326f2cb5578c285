import { Module } from '@nestjs/common';
import { ChatDataModule } from '@agents/chat';
import { ProviderClientsModule } from '@agents/providers';
import { ToolFilesModule } from '@agents/files';
import { StreamingModule } from '@agents/streaming';
import { ToolsModule } from '@agents/tools';
import { UsageDataModule } from '@agents/usage';
import { VersionsModule } from '@agents/versions';
import { GenerationProcessor } from './generation.processor';
import { GenerationService } from './generation.service';
import { ConversationTitler } from './conversation-titler';

/**
 * The worker side: takes generation jobs off the queue, runs the agent (its pinned version, the
 * provider's stream), publishes the events and stores the answer. Importing it means consuming
 * jobs: the worker process imports it, the api only in the embedded mode (one process does
 * everything). It serves no HTTP, and it is the only module that builds provider clients.
 */
@Module({
  imports: [
    ChatDataModule,
    VersionsModule,
    ProviderClientsModule,
    StreamingModule,
    ToolsModule,
    ToolFilesModule,
    UsageDataModule,
  ],
  providers: [GenerationService, GenerationProcessor, ConversationTitler],
})
export class GenerationModule {}
