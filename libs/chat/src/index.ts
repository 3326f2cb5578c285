export * from './chat.module';
export * from './chat-data.module';
export * from './chat-files';
export * from './file-content';
export * from './conversation.entity';
export * from './conversations.repository';
export * from './message.entity';
export * from './messages.repository';
export * from './generation-job';
export * from './generation-launcher';
export { GENERATION_JOBS, generationJobId, streamIdOfJob, type GenerationJobs } from './generation-queue';
export { ChatMessageDto, ConversationDto, MessageFileDto } from './dto/conversation.dto';
export { IdempotencyRepository } from './idempotency.repository';
export { resumeSnapshot, type SyncPayload } from './resume-snapshot';
export * from './stream-events';
export { SseConnections } from './sse-connections';
export { ChatAvailabilityGuard } from './chat-availability.guard';
export { SSE_HEADERS, SSE_PING } from './stream-responder';
export { ContentFold } from './content-fold';
export {
  SearchRepository,
  messageSearchSql,
  conversationSearchSql,
  type RankedPosition,
} from './search/search.repository';
export { SEARCH_CONFIG, MATCH_START, MATCH_END } from './search/search-query';
export { SharesRepository } from './shares/shares.repository';
export { ConversationShareEntity, type SharedMessage } from './shares/share.entity';
export { MAX_SHARES_PER_USER, MAX_SHARED_MESSAGES } from './shares/shares.service';
