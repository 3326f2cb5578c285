export * from './openai-compat.module';
export * from './openai-error';
export { openAIProcessingTime } from './processing-time';
export * from './chat-completion-chunks';
export * from './response-events';
export * from './generation-events';
export { ResponsesJanitor } from './responses.repository';
