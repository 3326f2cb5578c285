export * from './chat.module';
export * from './conversation.entity';
export * from './conversations.repository';
export * from './message.entity';
export * from './messages.repository';
export * from './generation/generation-job';
export { GENERATION_JOBS, generationJobId, type GenerationJobs } from './generation/generation-queue';
export { SseConnections } from './sse-connections';
export { ChatAvailabilityGuard } from './chat-availability.guard';
