import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import type { AgentAccessPolicy, AgentEntity } from '@agents/agents';
import type { AuthUser } from '@agents/auth';
import {
  NotFoundError,
  UnprocessableError,
  ValidationFailedError,
  strictValidationPipe,
  type DatabaseService,
  type FieldProblem,
} from '@agents/core';
import type { ContextBudget } from '@agents/providers';
import type { ChatFiles } from './chat-files';
import { ChatService } from './chat.service';
import { ConversationEntity } from './conversation.entity';
import type { ConversationsRepository } from './conversations.repository';
import { NO_PARENT_MESSAGE_ID, StartChatDto } from './dto/chat.dto';
import type { GenerationLauncher, LaunchOptions } from './generation-launcher';
import type { ConversationGenerationJob, GenerationJob } from './generation-job';
import type { IdempotencyRepository } from './idempotency.repository';
import { MessageEntity } from './message.entity';
import type { MessagesRepository } from './messages.repository';

const user: AuthUser = { id: randomUUID(), email: 'me@example.com', name: 'Me', role: 'USER' };
const agent = { id: 'agent_V1StGXR8_Z5jdHi6B-myT', version: 3, provider: 'openai', model: 'gpt-4o' } as AgentEntity;
const conversation = Object.assign(new ConversationEntity(), {
  id: randomUUID(),
  userId: user.id,
  agentId: agent.id,
  title: 'Leave',
});

function message(fields: Partial<MessageEntity>): MessageEntity {
  return Object.assign(new MessageEntity(), {
    id: randomUUID(),
    conversationId: conversation.id,
    parentMessageId: null,
    userId: user.id,
    sender: 'User',
    isCreatedByUser: true,
    text: 'How many leave days?',
    content: [{ type: 'text', text: 'How many leave days?' }],
    files: [],
    unfinished: false,
    error: false,
    agentId: agent.id,
    model: null,
    promptTokens: null,
    completionTokens: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    ...fields,
  });
}

/** The start's collaborators, mocked: what was reserved, stored and launched. */
function setUp(stored: MessageEntity[] = []) {
  const launched: { job: GenerationJob; options: LaunchOptions }[] = [];
  const insertTurn = jest.fn(() => Promise.resolve());
  const reserve = jest.fn(() => Promise.resolve());
  const claim = jest.fn((_userId: string, _key: string, fingerprint: string) =>
    Promise.resolve({ state: 'claimed' as const, fingerprint }),
  );
  const complete = jest.fn(() => Promise.resolve());
  const messages = {
    insertTurn,
    findInConversation: (conversationId: string, id: string) =>
      Promise.resolve(stored.find((m) => m.id === id && m.conversationId === conversationId) ?? null),
    findById: (id: string) => Promise.resolve(stored.find((m) => m.id === id) ?? null),
    latestIn: () => Promise.resolve(stored.at(-1) ?? null),
  } as unknown as MessagesRepository;
  const conversations = {
    findOwned: (userId: string, id: string) =>
      Promise.resolve(userId === user.id && id === conversation.id ? conversation : null),
  } as unknown as ConversationsRepository;
  const launcher = {
    reserve,
    launch: async (job: GenerationJob, options: LaunchOptions) => {
      await options.onBeforeEnqueue?.();
      launched.push({ job, options });
    },
  } as unknown as GenerationLauncher;
  const service = new ChatService(
    { manager: {}, transaction: (work: (m: unknown) => Promise<unknown>) => work({}) } as unknown as DatabaseService,
    { usableAgent: () => Promise.resolve(agent) } as unknown as AgentAccessPolicy,
    conversations,
    messages,
    { claim, complete, release: () => Promise.resolve() } as unknown as IdempotencyRepository,
    { overBudget: () => null, chars: 400_000 } as unknown as ContextBudget,
    launcher,
    { owned: () => Promise.resolve([]), attach: () => Promise.resolve() } as unknown as ChatFiles,
  );
  return { service, launched, insertTurn, reserve, claim, complete };
}

const dto = (fields: Partial<StartChatDto>): StartChatDto =>
  Object.assign(new StartChatDto(), { agent_id: agent.id, text: 'How many leave days?', ...fields });

async function problemsOf(work: Promise<unknown>): Promise<FieldProblem[]> {
  const error = await work.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ValidationFailedError);
  return (error as ValidationFailedError).details;
}

describe('ChatService.start, regenerating', () => {
  const question = message({});
  const answer = message({ isCreatedByUser: false, sender: 'Agent', parentMessageId: question.id, text: '25.' });

  it('answers the existing question again: stores nothing, reserves and queues a job for it, announces it as created', async () => {
    const { service, launched, insertTurn, reserve } = setUp([question, answer]);
    const started = await service.start(
      user,
      dto({
        conversationId: conversation.id,
        parentMessageId: question.id,
        isRegenerate: true,
        messageId: randomUUID(),
      }),
    );

    expect(started).toMatchObject({ conversationId: conversation.id, userMessageId: question.id });
    expect(started.responseMessageId).not.toBe(answer.id);
    expect(insertTurn).not.toHaveBeenCalled();
    expect(reserve).toHaveBeenCalledWith(
      expect.objectContaining({ userMessageId: question.id, responseMessageId: started.responseMessageId }),
      { apiKeyId: undefined, provider: 'openai', model: 'gpt-4o' },
    );
    expect(launched).toHaveLength(1);
    const job = launched[0].job as ConversationGenerationJob;
    expect(job).toEqual({
      streamId: conversation.id,
      conversationId: conversation.id,
      userId: user.id,
      agentId: agent.id,
      agentVersion: 3,
      userMessageId: question.id,
      responseMessageId: started.responseMessageId,
    });
    expect(launched[0].options.created).toMatchObject({
      created: true,
      message: { messageId: question.id, text: 'How many leave days?', isCreatedByUser: true },
    });
  });

  it('takes LibreChat’s overrideParentMessageId over parentMessageId (which then names the question’s parent)', async () => {
    const { service, launched } = setUp([question, answer]);
    await service.start(
      user,
      dto({
        conversationId: conversation.id,
        parentMessageId: NO_PARENT_MESSAGE_ID,
        overrideParentMessageId: question.id,
        isRegenerate: true,
      }),
    );
    expect(launched[0].job).toMatchObject({ userMessageId: question.id });
  });

  it('refuses, naming the field, what it cannot answer again; launches nothing', async () => {
    const { service, launched, reserve } = setUp([question, answer]);
    const regenerate = (fields: Partial<StartChatDto>) => service.start(user, dto({ isRegenerate: true, ...fields }));
    expect(await problemsOf(regenerate({ parentMessageId: question.id }))).toEqual([
      expect.objectContaining({ field: 'conversationId' }),
    ]);
    expect(await problemsOf(regenerate({ conversationId: 'new', parentMessageId: question.id }))).toEqual([
      expect.objectContaining({ field: 'conversationId' }),
    ]);
    expect(await problemsOf(regenerate({ conversationId: conversation.id }))).toEqual([
      expect.objectContaining({ field: 'parentMessageId' }),
    ]);
    expect(
      await problemsOf(regenerate({ conversationId: conversation.id, parentMessageId: NO_PARENT_MESSAGE_ID })),
    ).toEqual([expect.objectContaining({ field: 'parentMessageId' })]);
    expect(await problemsOf(regenerate({ conversationId: conversation.id, parentMessageId: answer.id }))).toEqual([
      { field: 'parentMessageId', message: expect.stringMatching(/is an answer/) },
    ]);
    expect(
      await problemsOf(regenerate({ conversationId: conversation.id, overrideParentMessageId: randomUUID() })),
    ).toEqual([{ field: 'overrideParentMessageId', message: 'no such message in this conversation' }]);
    await expect(regenerate({ conversationId: randomUUID(), parentMessageId: question.id })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(reserve).not.toHaveBeenCalled();
    expect(launched).toEqual([]);
  });

  it('makes the flag and the message part of an idempotent start’s fingerprint', async () => {
    const { service, claim, complete } = setUp([question, answer]);
    const base = { conversationId: conversation.id, parentMessageId: question.id };
    await service.start(user, dto({ ...base, isRegenerate: true }), 'key-1');
    await service.start(user, dto(base), 'key-2');
    await service.start(user, dto({ ...base, isRegenerate: false }), 'key-3');
    await service.start(user, dto({ ...base, isRegenerate: true, overrideParentMessageId: question.id }), 'key-4');
    const [regenerate, plain, explicitFalse, overridden] = claim.mock.calls.map((call) => call[2]);
    expect(regenerate).not.toBe(plain);
    expect(overridden).not.toBe(regenerate);
    expect(explicitFalse).toBe(plain); // `false` is the default: the same request
    // Other starts' fingerprints are what they were before regenerating existed: their stored keys still match.
    const before = [agent.id, 'How many leave days?', conversation.id, question.id, null, []];
    expect(plain).toBe(createHash('sha256').update(JSON.stringify(before)).digest('hex'));
    // The regenerate's answer is what a retry gets back.
    expect(complete).toHaveBeenCalledWith(
      {},
      user.id,
      'key-1',
      expect.objectContaining({ userMessageId: question.id }),
    );
  });

  it('refuses a retry of a regenerate’s key that is not a regenerate (422)', async () => {
    const { service, claim } = setUp([question, answer]);
    const base = { conversationId: conversation.id, parentMessageId: question.id };
    await service.start(user, dto({ ...base, isRegenerate: true }), 'key-1');
    const fingerprint = claim.mock.calls[0][2];
    claim.mockResolvedValueOnce({ state: 'existing', fingerprint, response: null } as never);
    await expect(service.start(user, dto(base), 'key-1')).rejects.toBeInstanceOf(UnprocessableError);
  });
});

describe('ChatService.start, titles', () => {
  it('names a new conversation’s first words in its job (the title the worker may replace), and no later turn’s', async () => {
    const text = 'How many days of leave do part-time staff get in 2026, and how are they counted?';
    const { service, launched, insertTurn } = setUp([message({})]);
    await service.start(user, dto({ text }));
    expect(insertTurn).toHaveBeenCalledWith(expect.anything(), expect.anything(), { title: text.slice(0, 60).trim() });
    expect(launched[0].job).toMatchObject({ fallbackTitle: text.slice(0, 60).trim() });

    await service.start(user, dto({ text, conversationId: conversation.id }));
    expect(launched[1].job).not.toHaveProperty('fallbackTitle');
  });
});

describe('StartChatDto', () => {
  const validate = (body: Record<string, unknown>) =>
    strictValidationPipe().transform(
      { agent_id: agent.id, text: 'hi', ...body },
      { type: 'body', metatype: StartChatDto },
    ) as Promise<StartChatDto>;

  it('takes isRegenerate and a UUID overrideParentMessageId with it, and LibreChat’s null without it', async () => {
    const id = randomUUID();
    await expect(validate({ isRegenerate: true, overrideParentMessageId: id })).resolves.toMatchObject({
      isRegenerate: true,
      overrideParentMessageId: id,
    });
    await expect(validate({ isRegenerate: false, overrideParentMessageId: null })).resolves.toBeInstanceOf(
      StartChatDto,
    );
  });

  it('refuses overrideParentMessageId without isRegenerate, and values of the wrong type, naming the field', async () => {
    const fields = async (body: Record<string, unknown>) =>
      problemsOf(validate(body)).then((p) => p.map((x) => x.field));
    expect(await fields({ overrideParentMessageId: randomUUID() })).toEqual(['overrideParentMessageId']);
    expect(await fields({ isRegenerate: false, overrideParentMessageId: randomUUID() })).toEqual([
      'overrideParentMessageId',
    ]);
    expect(await fields({ isRegenerate: true, overrideParentMessageId: 'not-a-uuid' })).toEqual([
      'overrideParentMessageId',
    ]);
    expect(await fields({ isRegenerate: 'yes' })).toEqual(['isRegenerate']);
    expect(await fields({ isEdited: true })).toEqual(['isEdited']);
  });
});
