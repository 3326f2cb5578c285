export * from './chat-provider';
export * from './chat-provider.factory';
export * from './openai.provider';
export * from './provider-registry';
export * from './providers.module';
export * from './context-budget';
export * from './provider-error';
export * from './anthropic.provider';
