import { Module } from '@nestjs/common';
import { ChatProviderFactory } from './chat-provider.factory';
import { ContextBudget } from './context-budget';
import { ProviderRegistry } from './provider-registry';

@Module({
  providers: [ProviderRegistry, ChatProviderFactory, ContextBudget],
  exports: [ProviderRegistry, ChatProviderFactory, ContextBudget],
})
export class ProvidersModule {}
