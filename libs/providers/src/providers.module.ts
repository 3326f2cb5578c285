import { Module } from '@nestjs/common';
import { ChatProviderFactory } from './chat-provider.factory';
import { ContextBudget } from './context-budget';
import { ProviderRegistry } from './provider-registry';

/** What the api needs to know of providers — which exist, what a request may hold — and no client. */
@Module({
  providers: [ProviderRegistry, ContextBudget],
  exports: [ProviderRegistry, ContextBudget],
})
export class ProvidersModule {}

/** The provider clients themselves: imported by the generation (worker) side only. */
@Module({
  imports: [ProvidersModule],
  providers: [ChatProviderFactory],
  exports: [ChatProviderFactory, ProvidersModule],
})
export class ProviderClientsModule {}
