import { randomUUID } from 'node:crypto';
import { AclRepository } from '@agents/acl';
import { AgentsRepository, type AgentEntity } from '@agents/agents';
import {
  ConversationEntity,
  ConversationsRepository,
  MessageEntity,
  MessagesRepository,
  SqlChatFiles,
  type ConversationGenerationJob,
} from '@agents/chat';
import { loadConfig } from '@agents/core';
import { ChatProviderFactory, ContextBudget, ProviderRegistry } from '@agents/providers';
import type { EventBus, GenerationStateStore } from '@agents/streaming';
import { VersionsRepository, takeSnapshot } from '@agents/versions';
import { ConversationTitler, GenerationService } from '@agents/generation';
import {
  DatabaseFileBytes,
  DatabaseGeneratedFiles,
  FileSearch,
  ToolFilesFactory,
  ToolFilesRepository,
} from '@agents/files';
import { McpManager, ToolRegistry } from '@agents/tools';
import { PriceTable, UsageRecorder, UsageRepository } from '@agents/usage';
import { agentEntity } from './entity-factories';
import { insertUser, type IntegrationDatabase } from './integration-database';

/** The worker's GenerationService on a real database, calling the OpenAI protocol at `baseURL`. */
export function generationService(
  database: IntegrationDatabase,
  bus: EventBus,
  state: GenerationStateStore,
  baseURL: string,
): GenerationService {
  return generationWorker(database, bus, state, baseURL).service;
}

/**
 * The worker's GenerationService and its ConversationTitler, configured by `env` as an operator
 * would. Titles are off unless `env` turns them on (TITLE_GENERATION), as in every suite's processes.
 */
export function generationWorker(
  database: IntegrationDatabase,
  bus: EventBus,
  state: GenerationStateStore,
  baseURL: string,
  env: Record<string, string> = {},
): { service: GenerationService; titler: ConversationTitler } {
  const config = loadConfig({
    DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
    JWT_SECRET: 'x'.repeat(40),
    OPENAI_BASE_URL: baseURL,
    OPENAI_API_KEY: 'sk-test',
    TITLE_GENERATION: 'false',
    ...env,
  });
  const providers = new ChatProviderFactory(config, new ProviderRegistry(config));
  const usage = new UsageRecorder(new UsageRepository(database.db), new PriceTable(config));
  const titler = new ConversationTitler(
    config,
    new VersionsRepository(database.db),
    new MessagesRepository(database.db),
    new ConversationsRepository(database.db),
    providers,
    usage,
    bus,
  );
  const service = new GenerationService(
    new VersionsRepository(database.db),
    new ConversationsRepository(database.db),
    new MessagesRepository(database.db),
    providers,
    bus,
    state,
    new ContextBudget(config),
    new ToolRegistry(config, new McpManager(config)),
    config,
    new SqlChatFiles(database.db),
    new ToolFilesFactory(
      new ToolFilesRepository(database.db),
      new DatabaseFileBytes(database.db),
      new FileSearch(database.db),
      new DatabaseGeneratedFiles(database.db, config),
    ),
    usage,
    titler,
  );
  return { service, titler };
}

/**
 * What the api stores and reserves before it enqueues a conversation turn: an agent with its
 * version 1, a conversation with the user's first message, the stream and its reservation.
 * Returns the job a worker would receive.
 */
export async function seedConversationTurn(
  database: IntegrationDatabase,
  bus: EventBus,
  state: GenerationStateStore,
  agentFields: Partial<AgentEntity> = {},
): Promise<ConversationGenerationJob> {
  const manager = database.dataSource.manager;
  const user = await insertUser(database.dataSource);
  const agent = agentEntity(user.id, agentFields);
  await new AgentsRepository(database.db, new AclRepository(database.db)).insert(manager, agent);
  await new VersionsRepository(database.db).append(manager, {
    agentId: agent.id,
    version: 1,
    snapshot: takeSnapshot(agent),
    createdBy: user.id,
    createdAt: new Date(),
  });
  const now = new Date();
  const conversation = Object.assign(new ConversationEntity(), {
    id: randomUUID(),
    userId: user.id,
    agentId: agent.id,
    title: 'New Chat',
    createdAt: now,
    updatedAt: now,
  });
  await new ConversationsRepository(database.db).insert(manager, conversation);
  const userMessage = Object.assign(new MessageEntity(), {
    id: randomUUID(),
    conversationId: conversation.id,
    parentMessageId: null,
    userId: user.id,
    sender: 'User',
    isCreatedByUser: true,
    text: 'What is 6 x 7?',
    content: [{ type: 'text', text: 'What is 6 x 7?' }],
    unfinished: false,
    error: false,
    agentId: agent.id,
    model: null,
    promptTokens: null,
    completionTokens: null,
    createdAt: now,
  });
  await new MessagesRepository(database.db).insert(manager, userMessage);
  await bus.create(conversation.id);
  const responseMessageId = randomUUID();
  await state.reserve(
    {
      streamId: conversation.id,
      conversationId: conversation.id,
      userId: user.id,
      agentId: agent.id,
      userMessageId: userMessage.id,
      responseMessageId,
    },
    { maxPerUser: 10 },
  );
  return {
    streamId: conversation.id,
    conversationId: conversation.id,
    userId: user.id,
    agentId: agent.id,
    agentVersion: 1,
    userMessageId: userMessage.id,
    responseMessageId,
  };
}
