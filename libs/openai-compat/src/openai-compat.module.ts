import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '@agents/agents';
import { AppConfig, formatErrorsUnder } from '@agents/core';
import { ProvidersModule } from '@agents/providers';
import { StreamingModule } from '@agents/streaming';
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
 * Generations go through the chat module's queue, so `chat` must be the very ChatModule the app
 * imports (one queue per process).
 */
@Module({})
export class OpenAICompatModule implements OnModuleInit {
  static forRoot(chat: DynamicModule): DynamicModule {
    return {
      module: OpenAICompatModule,
      imports: [TypeOrmModule.forFeature([ResponseEntity]), AgentsModule, ProvidersModule, StreamingModule, chat],
      controllers: [OpenAICompatController],
      providers: [
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
    };
  }

  /** Every error under the prefix — from guards, pipes, services or the body parser — uses OpenAI's envelope. */
  onModuleInit(): void {
    formatErrorsUnder(OPENAI_COMPAT_PREFIX, formatOpenAIError);
  }
}
