export * from './chat.module';
export * from './conversation.entity';
export * from './conversations.repository';
export * from './message.entity';
export * from './messages.repository';
