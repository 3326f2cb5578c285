export * from './event-bus';
export * from './event-id';
export * from './stream-keys';
export * from './in-memory-event-bus';
export * from './redis-event-bus';
export * from './streaming.module';
