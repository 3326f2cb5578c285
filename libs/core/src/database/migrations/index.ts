import { InitialSchema1764400000000 } from './1764400000000-initial-schema';
import { Permissions1764500000000 } from './1764500000000-permissions';
import { Conversations1764600000000 } from './1764600000000-conversations';
import { ApiKeys1764700000000 } from './1764700000000-api-keys';
import { Responses1764800000000 } from './1764800000000-responses';
import { ChatIdempotency1764900000000 } from './1764900000000-chat-idempotency';
import { ResponseChains1765030000000 } from './1765030000000-response-chains';
import { AgentLibreChatFields1765210000000 } from './1765210000000-agent-librechat-fields';
import { AgentNameIndex1765300000000 } from './1765300000000-agent-name-index';
import { MessageAttachments1765400000000 } from './1765400000000-message-attachments';
import { Files1765500000000 } from './1765500000000-files';
import { MessageFiles1765600000000 } from './1765600000000-message-files';
import { Usage1765700000000 } from './1765700000000-usage';
import { ConversationManagement1765800000000 } from './1765800000000-conversation-management';
import { SearchAndShares1765800000001 } from './1765800000001-search-and-shares';

/** Every migration, in order. Listed explicitly so bundling or renaming never loses one. */
export const MIGRATIONS = [
  InitialSchema1764400000000,
  Permissions1764500000000,
  Conversations1764600000000,
  ApiKeys1764700000000,
  Responses1764800000000,
  ChatIdempotency1764900000000,
  ResponseChains1765030000000,
  AgentLibreChatFields1765210000000,
  AgentNameIndex1765300000000,
  MessageAttachments1765400000000,
  Files1765500000000,
  MessageFiles1765600000000,
  Usage1765700000000,
  ConversationManagement1765800000000,
  SearchAndShares1765800000001,
];
