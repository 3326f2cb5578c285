import { Module } from '@nestjs/common';
import { ChatProviderFactory } from './chat-provider.factory';
import { ContextBudget } from './context-budget';
import { ProviderModelCatalog } from './provider-models';
import { ProviderRegistry } from './provider-registry';

/**
 * What the api needs to know of providers — which exist, which models they list, what a request
 * may hold — and no chat client (the model catalog only lists models).
 */
@Module({
  providers: [ProviderRegistry, ProviderModelCatalog, ContextBudget],
  exports: [ProviderRegistry, ProviderModelCatalog, ContextBudget],
})
export class ProvidersModule {}

/** The provider clients themselves: imported by the generation (worker) side only. */
@Module({
  imports: [ProvidersModule],
  providers: [ChatProviderFactory],
  exports: [ChatProviderFactory, ProvidersModule],
})
export class ProviderClientsModule {}
