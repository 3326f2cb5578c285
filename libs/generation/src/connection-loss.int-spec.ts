import { InMemoryEventBus, InMemoryGenerationState, type StreamEvent } from '@agents/streaming';
import { terminateLockWaiter } from '@agents/testing/connection-loss';
import { startFakeOpenAI, type FakeOpenAI } from '@agents/testing/fake-openai';
import { generationService, seedConversationTurn } from '@agents/testing/generation-fixtures';
import { type IntegrationDatabase, insertUser, openIntegrationDatabase } from '@agents/testing/integration-database';
import { IdempotencyRepository, MessageEntity, MessagesRepository, type ConversationGenerationJob } from '@agents/chat';
import type { GenerationService } from './generation.service';

/**
 * Database connections terminated (pg_terminate_backend) under the statements of a chat: the
 * worker's reads before the provider call and its store of the answer, and the api's release of
 * an idempotency key after a failed start. Each statement is made to wait on a table lock first,
 * so the termination lands exactly on it.
 */
describe('chat statements whose database connection is lost', () => {
  let database: IntegrationDatabase;
  let databaseUrl: string;
  let fake: FakeOpenAI;
  let bus: InMemoryEventBus;
  let state: InMemoryGenerationState;
  let service: GenerationService;

  beforeAll(async () => {
    database = await openIntegrationDatabase();
    databaseUrl = (database.dataSource.options as { url: string }).url;
    fake = await startFakeOpenAI();
    bus = new InMemoryEventBus();
    state = new InMemoryGenerationState();
    service = generationService(database, bus, state, fake.baseURL);
  });
  afterAll(async () => {
    await bus.close();
    await fake.close();
    await database.close();
  });

  async function watch(job: ConversationGenerationJob): Promise<StreamEvent[]> {
    const events: StreamEvent[] = [];
    await bus.subscribe(job.streamId, '0', (e) => events.push(e));
    return events;
  }

  it('retries the reads before the provider call: the generation completes', async () => {
    fake.script({ tokens: ['6 x 7', ' = 42'] });
    const job = await seedConversationTurn(database, bus, state);
    const events = await watch(job);
    const requestsBefore = fake.requests.length;

    const { result: outcome, terminated } = await terminateLockWaiter(
      databaseUrl,
      'LOCK TABLE agent_versions IN ACCESS EXCLUSIVE MODE',
      () => service.handle(job),
    );

    expect(terminated).toBe(1);
    expect(outcome).toMatchObject({ status: 'completed', text: '6 x 7 = 42' });
    expect(fake.requests.length - requestsBefore).toBe(1);
    const terminal = events.filter((e) => e.terminal);
    expect(terminal.map((e) => e.payload)).toEqual([
      expect.objectContaining({ final: true, responseMessage: expect.objectContaining({ text: '6 x 7 = 42' }) }),
    ]);
  });

  it('retries storing the answer: it is stored once and the stream ends with final', async () => {
    fake.script({ tokens: ['forty', '-two'] });
    const job = await seedConversationTurn(database, bus, state);
    const events = await watch(job);

    // SHARE lets the thread be read but makes the answer's INSERT wait.
    const { result: outcome, terminated } = await terminateLockWaiter(
      databaseUrl,
      'LOCK TABLE messages IN SHARE MODE',
      () => service.handle(job),
    );

    expect(terminated).toBe(1);
    expect(outcome.status).toBe('completed');
    expect(await database.dataSource.manager.countBy(MessageEntity, { id: job.responseMessageId })).toBe(1);
    expect(events.filter((e) => e.terminal).map((e) => e.payload)).toEqual([
      expect.objectContaining({ final: true, responseMessage: expect.objectContaining({ text: 'forty-two' }) }),
    ]);
  });

  it('accepts an answer already stored under its id (a commit whose acknowledgement was lost)', async () => {
    fake.script({ tokens: ['42'] });
    const job = await seedConversationTurn(database, bus, state);
    const events = await watch(job);
    const messages = new MessagesRepository(database.db);
    const thread = await messages.threadTo(job.conversationId, job.userMessageId);
    await messages.insert(
      database.dataSource.manager,
      Object.assign(new MessageEntity(), {
        ...thread[0],
        id: job.responseMessageId,
        parentMessageId: job.userMessageId,
        isCreatedByUser: false,
        sender: 'Agent',
        text: '42',
        content: [{ type: 'text', text: '42' }],
      }),
    );

    const outcome = await service.handle(job);

    expect(outcome.status).toBe('completed');
    expect(await database.dataSource.manager.countBy(MessageEntity, { id: job.responseMessageId })).toBe(1);
    expect(events.filter((e) => e.terminal).map((e) => e.payload)).toEqual([expect.objectContaining({ final: true })]);
  });

  it('retries releasing the idempotency key of a failed start, so the client can retry at once', async () => {
    const keys = new IdempotencyRepository(database.db);
    const user = await insertUser(database.dataSource);
    expect(await keys.claim(user.id, 'retry-me', 'fingerprint')).toEqual({ state: 'claimed' });

    // SHARE lets the key be read but makes the release's DELETE wait.
    const { terminated } = await terminateLockWaiter(
      databaseUrl,
      'LOCK TABLE chat_idempotency_keys IN SHARE MODE',
      () => keys.release(user.id, 'retry-me'),
    );

    expect(terminated).toBe(1);
    expect(await keys.claim(user.id, 'retry-me', 'fingerprint')).toEqual({ state: 'claimed' });
  });
});
