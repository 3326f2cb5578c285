import { Module } from '@nestjs/common';
import { ChatProviderFactory } from './chat-provider.factory';
import { ProviderRegistry } from './provider-registry';

@Module({ providers: [ProviderRegistry, ChatProviderFactory], exports: [ProviderRegistry, ChatProviderFactory] })
export class ProvidersModule {}
