import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConversationEntity } from './conversation.entity';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { MessageEntity } from './message.entity';
import { MessagesRepository } from './messages.repository';

/** Conversations and messages (the chat routes themselves arrive with the streaming work). */
@Module({
  imports: [TypeOrmModule.forFeature([ConversationEntity, MessageEntity])],
  controllers: [ConversationsController],
  providers: [ConversationsRepository, MessagesRepository, ConversationsService],
  exports: [ConversationsRepository, MessagesRepository],
})
export class ChatModule {}
