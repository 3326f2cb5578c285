import { Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AclModule } from '@agents/acl';
import { AgentsModule } from '@agents/agents';
import { ChatDataModule } from '@agents/chat';
import { AppConfig, ErrorFormatters } from '@agents/core';
import { ProvidersModule } from '@agents/providers';
import { StreamingModule } from '@agents/streaming';
import { AgentNamesRepository } from './agent-names.repository';
import { ChatCompletionsService } from './chat-completions.service';
import { CompletionGenerations } from './completion-generations';
import { ModelsService } from './models.service';
import { OpenAICompatController } from './openai-compat.controller';
import { OPENAI_COMPAT_PREFIX, formatOpenAIError } from './openai-error';
import { OPENAI_RATE_LIMITER, OpenAIRateLimitGuard, RateLimiterShutdown, createRateLimiter } from './rate-limiter';
import { ResponseEntity } from './response.entity';
import { ResponsesJanitor, ResponsesRepository } from './responses.repository';
import { ResponsesService } from './responses.service';

/**
 * The OpenAI-compatible API under `/api/agents/v1` (docs/http-api.md § OpenAI-compatible API).
 * Completions are generations like chat's, on the same queue (ChatDataModule) and the same workers.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([ResponseEntity]),
    AclModule,
    AgentsModule,
    ProvidersModule,
    StreamingModule,
    ChatDataModule,
  ],
  controllers: [OpenAICompatController],
  providers: [
    AgentNamesRepository,
    CompletionGenerations,
    ModelsService,
    ChatCompletionsService,
    ResponsesRepository,
    ResponsesJanitor,
    ResponsesService,
    OpenAIRateLimitGuard,
    { provide: OPENAI_RATE_LIMITER, inject: [AppConfig], useFactory: createRateLimiter },
    RateLimiterShutdown,
  ],
})
export class OpenAICompatModule implements OnModuleInit {
  /** Every error under the prefix — from guards, pipes, services or the body parser — uses OpenAI's envelope. */
  constructor(private readonly errorFormatters: ErrorFormatters) {}

  onModuleInit(): void {
    this.errorFormatters.register(OPENAI_COMPAT_PREFIX, formatOpenAIError);
  }
}
