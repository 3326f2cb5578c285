export * from './generation.module';
export { GenerationService, SHUTDOWN_FAILURE } from './generation.service';
export { ConversationTitler, TITLE_INSTRUCTIONS, titleUsageId } from './conversation-titler';
export { GenerationProcessor, LOST_FAILURE } from './generation.processor';
export { GenerationRunner, STREAM_LOST_FAILURE, type GenerationOutcome } from './generation-runner';
