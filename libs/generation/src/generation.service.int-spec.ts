import { randomUUID } from 'node:crypto';
import type { AgentEntity } from '@agents/agents';
import {
  InMemoryEventBus,
  InMemoryGenerationState,
  StreamNotFoundError,
  type EventBus,
  type StreamEvent,
} from '@agents/streaming';
import { generationService, generationWorker, seedConversationTurn } from '@agents/testing/generation-fixtures';
import { startFakeOpenAI, type FakeOpenAI } from '@agents/testing/fake-openai';
import { type IntegrationDatabase, openIntegrationDatabase } from '@agents/testing/integration-database';
import {
  MessageEntity,
  MessagesRepository,
  type CompletionGenerationJob,
  type ConversationGenerationJob,
} from '@agents/chat';
import { type ConversationTitler, TITLE_INSTRUCTIONS, titleUsageId } from './conversation-titler';
import { STREAM_LOST_FAILURE } from './generation-runner';
import { type GenerationService, SHUTDOWN_FAILURE } from './generation.service';

/** The worker's job handler on real PostgreSQL, a real OpenAI-protocol server and the in-process bus. */
describe('GenerationService', () => {
  let database: IntegrationDatabase;
  let fake: FakeOpenAI;
  let bus: InMemoryEventBus;
  let state: InMemoryGenerationState;
  let service: GenerationService;
  let messages: MessagesRepository;

  beforeAll(async () => {
    database = await openIntegrationDatabase();
    fake = await startFakeOpenAI();
    messages = new MessagesRepository(database.db);
    bus = new InMemoryEventBus();
    state = new InMemoryGenerationState();
    service = serviceOn(bus);
  });

  const serviceOn = (eventBus: EventBus): GenerationService =>
    generationService(database, eventBus, state, fake.baseURL);

  const deltas = (events: StreamEvent[]) =>
    events.filter((e) => (e.payload as { event?: string }).event === 'on_message_delta');
  const streamedText = (events: StreamEvent[]) =>
    deltas(events)
      .map((e) => (e.payload as { data: { delta: { content: { text: string }[] } } }).data.delta.content[0].text)
      .join('');
  async function until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise((r) => setTimeout(r, 10));
  }
  afterAll(async () => {
    await bus.close();
    await fake.close();
    await database.close();
  });

  /** An agent with its version 1, a conversation and the user's first message, as the api stores them. */
  const seed = (agentFields: Partial<AgentEntity> = {}): Promise<ConversationGenerationJob> =>
    seedConversationTurn(database, bus, state, agentFields);

  /** Collects the stream; when the terminal event arrives, reads the response back from the database. */
  async function watch(job: ConversationGenerationJob, readBack = false) {
    const events: StreamEvent[] = [];
    let storedAtTerminal: Promise<MessageEntity | null> | undefined;
    await bus.subscribe(job.streamId, '0', (e) => {
      events.push(e);
      if (e.terminal && readBack) storedAtTerminal = messages.findById(job.responseMessageId);
    });
    return { events, storedAtTerminal: () => storedAtTerminal };
  }

  it('streams the answer, stores it under the user message, then announces exactly one final', async () => {
    fake.script({ tokens: ['6 x 7', ' = 42'] });
    const job = await seed();
    const { events, storedAtTerminal } = await watch(job, true);
    const outcome = await service.handle(job);

    expect(outcome.status).toBe('completed');
    expect(await state.get(job.streamId)).toMatchObject({ status: 'completed', aggregatedContent: '6 x 7 = 42' });
    const terminal = events.filter((e) => e.terminal);
    expect(terminal).toHaveLength(1);
    expect(terminal[0].payload).toMatchObject({
      final: true,
      requestMessage: { messageId: job.userMessageId, text: 'What is 6 x 7?' },
      responseMessage: {
        messageId: job.responseMessageId,
        parentMessageId: job.userMessageId,
        text: '6 x 7 = 42',
        unfinished: false,
      },
    });
    expect(events[events.length - 1]).toBe(terminal[0]);
    // Persist, then announce: the message was readable when the final event was delivered.
    expect((await storedAtTerminal()!)?.text).toBe('6 x 7 = 42');
    // The provider saw the agent's instructions and the thread.
    const sent = fake.requests[fake.requests.length - 1].body!;
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is 6 x 7?' },
    ]);
  });

  it('aborts through the control channel: stores the partial answer unfinished and ends with an aborted final', async () => {
    fake.script({ tokens: Array.from({ length: 100 }, (_, i) => `w${i} `), tokenDelayMs: 20 });
    const job = await seed();
    const { events } = await watch(job);
    const running = service.handle(job);
    while (events.filter((e) => (e.payload as { event?: string }).event === 'on_message_delta').length < 2) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await bus.publishControl(job.streamId, { type: 'abort' });
    const outcome = await running;
    expect(outcome.status).toBe('aborted');
    const stored = await messages.findById(job.responseMessageId);
    expect(stored).toMatchObject({ unfinished: true, error: false });
    expect(stored!.text.startsWith('w0 w1 ')).toBe(true);
    const terminal = events.filter((e) => e.terminal);
    expect(terminal).toHaveLength(1);
    expect(terminal[0].payload).toMatchObject({ final: true, aborted: true, responseMessage: { unfinished: true } });
  });

  it('ends with one error event naming the cause when the provider fails, keeping the partial answer', async () => {
    fake.script({ tokens: ['partial', ' answer', ' lost'], dropAfterTokens: 1 });
    const job = await seed();
    const { events } = await watch(job);
    const outcome = await service.handle(job);
    expect(outcome.status).toBe('failed');
    const terminal = events.filter((e) => e.terminal);
    expect(terminal).toHaveLength(1);
    expect(terminal[0].payload).toMatchObject({
      error: expect.any(String),
      responseMessage: { text: 'partial', unfinished: true, error: true },
    });
    expect(await messages.findById(job.responseMessageId)).toMatchObject({ text: 'partial', error: true });
  });

  it('runs a completion job from its own messages: appended instructions, overrides, result in the final, nothing stored', async () => {
    fake.script({ tokens: ['4', '2'], usage: { prompt_tokens: 5, completion_tokens: 2 } });
    const turn = await seed({ model_parameters: { temperature: 0.9, top_p: 0.5 } });
    const job: CompletionGenerationJob = {
      kind: 'completion',
      streamId: randomUUID(),
      userId: turn.userId,
      agentId: turn.agentId,
      agentVersion: 1,
      responseMessageId: randomUUID(),
      messages: [{ role: 'user', content: '6 x 7?' }],
      extraInstructions: 'Digits only.',
      overrides: { temperature: 0.1 },
    };
    await bus.create(job.streamId);
    const events: StreamEvent[] = [];
    await bus.subscribe(job.streamId, '0', (e) => events.push(e));
    const outcome = await service.handle(job);

    expect(outcome.status).toBe('completed');
    const terminal = events.filter((e) => e.terminal);
    expect(terminal).toHaveLength(1);
    expect(terminal[0].payload).toEqual({
      final: true,
      completion: {
        status: 'completed',
        content: [{ type: 'text', text: '42' }],
        attachments: [],
        text: '42',
        finishReason: 'stop',
        usage: { promptTokens: 5, completionTokens: 2 },
        model: 'gpt-4o',
      },
    });
    const sent = fake.requests[fake.requests.length - 1].body!;
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Be brief.\n\nDigits only.' },
      { role: 'user', content: '6 x 7?' },
    ]);
    expect(sent).toMatchObject({ temperature: 0.1, top_p: 0.5 });
    expect(await messages.findById(job.responseMessageId)).toBeNull();
    expect(await messages.threadTo(turn.conversationId, turn.userMessageId)).toHaveLength(1);
  });

  it('fails clearly for a provider that is not wired yet', async () => {
    const job = await seed({ provider: 'anthropic' });
    const { events } = await watch(job);
    const outcome = await service.handle(job);
    expect(outcome.status).toBe('failed');
    expect((events.find((e) => e.terminal)!.payload as { error: string }).error).toMatch(/anthropic/i);
  });

  it('cut off by its worker shutting down: stored, stated and streamed as failed, the partial answer kept', async () => {
    fake.script({ tokens: Array.from({ length: 100 }, (_, i) => `s${i} `), tokenDelayMs: 20 });
    const job = await seed();
    const { events } = await watch(job);
    const shutdown = new AbortController();
    const running = service.handle(job, shutdown.signal);
    await until(() => deltas(events).length >= 2);
    shutdown.abort();
    const outcome = await running;
    expect(outcome).toMatchObject({ status: 'failed', error: SHUTDOWN_FAILURE });
    const stored = await messages.findById(job.responseMessageId);
    expect(stored).toMatchObject({ unfinished: true, error: true });
    expect(stored!.text).toBe(streamedText(events));
    expect(await state.get(job.streamId)).toMatchObject({ status: 'failed', error: SHUTDOWN_FAILURE });
    const terminal = events.filter((e) => e.terminal);
    expect(terminal).toHaveLength(1);
    expect(terminal[0].payload).toMatchObject({
      error: SHUTDOWN_FAILURE,
      responseMessage: { unfinished: true, error: true },
    });
  });

  it('honours an abort requested before the job started: no provider call, an aborted final', async () => {
    const job = await seed();
    const { events } = await watch(job);
    const calls = fake.requests.length;
    expect(await state.requestAbort(job.streamId)).toBe(true); // while queued: nobody listens yet
    const outcome = await service.handle(job);
    expect(outcome.status).toBe('aborted');
    expect(fake.requests.length).toBe(calls);
    expect(await messages.findById(job.responseMessageId)).toMatchObject({ text: '', unfinished: true });
    expect(events.filter((e) => e.terminal).map((e) => e.payload)).toEqual([
      expect.objectContaining({ final: true, aborted: true }),
    ]);
    expect(await state.get(job.streamId)).toMatchObject({ status: 'aborted' });
  });

  it('stores nothing when its conversation is deleted while it answers, and still records its usage', async () => {
    fake.script({
      tokens: ['Forty', '-two', '.'],
      tokenDelayMs: 40,
      usage: { prompt_tokens: 9, completion_tokens: 3 },
    });
    const job = await seed();
    const { events } = await watch(job);
    const running = service.handle(job);
    await until(() => deltas(events).length >= 1);
    await database.dataSource.query('DELETE FROM conversations WHERE id = $1', [job.conversationId]);
    const outcome = await running;

    expect(outcome.status).toBe('completed');
    const terminal = events.filter((e) => e.terminal);
    expect(terminal.map((e) => e.payload)).toEqual([
      expect.objectContaining({
        final: true,
        conversation: null,
        responseMessage: expect.objectContaining({ text: 'Forty-two.' }),
      }),
    ]);
    // The conversation stays deleted: neither the answer nor the conversation came back.
    expect(await messages.findById(job.responseMessageId)).toBeNull();
    const [{ n }] = await database.dataSource.query<{ n: number }[]>(
      `SELECT (SELECT count(*) FROM conversations WHERE id = $1) + (SELECT count(*) FROM messages WHERE conversation_id = $1) AS n`,
      [job.conversationId],
    );
    expect(Number(n)).toBe(0);
    // Usage holds no content and stays.
    const usage = await database.dataSource.query<{ input_tokens: number }[]>(
      'SELECT input_tokens FROM usage_records WHERE id = $1',
      [job.responseMessageId],
    );
    expect(usage).toEqual([{ input_tokens: 9 }]);
  });

  it('aborted because its conversation was deleted: one aborted final, and the partial answer is stored nowhere', async () => {
    fake.script({ tokens: Array.from({ length: 100 }, (_, i) => `d${i} `), tokenDelayMs: 20 });
    const job = await seed();
    const { events } = await watch(job);
    const running = service.handle(job);
    await until(() => deltas(events).length >= 2);
    await database.dataSource.query('DELETE FROM conversations WHERE id = $1', [job.conversationId]);
    await bus.publishControl(job.streamId, { type: 'abort', reason: 'conversation deleted' });
    const outcome = await running;

    expect(outcome.status).toBe('aborted');
    expect(events.filter((e) => e.terminal).map((e) => e.payload)).toEqual([
      expect.objectContaining({ final: true, aborted: true, conversation: null }),
    ]);
    expect(await messages.findById(job.responseMessageId)).toBeNull();
    expect(await state.get(job.streamId)).toMatchObject({ status: 'aborted' });
  });

  it('stores what a dead worker had streamed, from the stream log, as a failed message', async () => {
    const job = await seed();
    await bus.publish(job.streamId, { event: 'on_run_step', data: { id: 'step_1' } });
    for (const text of ['Half ', 'an ', 'answer']) {
      await bus.publish(job.streamId, {
        event: 'on_message_delta',
        data: { id: 'step_1', delta: { content: [{ type: 'text', text }] } },
      });
    }
    const generation = (await state.get(job.streamId))!;
    const stored = await service.storeCutOff(generation, 'lost');
    expect(stored).toMatchObject({
      id: job.responseMessageId,
      parentMessageId: job.userMessageId,
      text: 'Half an answer',
      content: [{ type: 'text', text: 'Half an answer' }],
      unfinished: true,
      error: true,
    });
    expect(await messages.findById(job.responseMessageId)).toMatchObject({ text: 'Half an answer', error: true });
    // A second process hearing of the same death finds it stored and stores nothing more.
    expect((await service.storeCutOff(generation, 'lost'))?.id).toBe(job.responseMessageId);
  });

  it('when its stream is lost mid-answer: stores only what was published, and re-opens the stream with the end', async () => {
    fake.script({ tokens: Array.from({ length: 50 }, (_, i) => `t${i} `), tokenDelayMs: 5 });
    const job = await seed();
    const { events } = await watch(job);
    // Redis coming back empty, as the worker sees it: the stream is unknown from the 4th delta on.
    let gone = false;
    let lostOnce = false;
    const losing: EventBus = Object.create(bus) as EventBus;
    losing.publish = async (streamId, payload, options) => {
      if (!lostOnce && deltas(events).length >= 3) gone = lostOnce = true;
      if (gone) throw new StreamNotFoundError(streamId);
      return bus.publish(streamId, payload, options);
    };
    losing.create = async (streamId) => {
      gone = false;
      await bus.publish(streamId, { lost: true }, { terminal: true }); // the old log ends here, for this test
      return bus.create(streamId);
    };
    const outcome = await serviceOn(losing).handle(job);
    expect(outcome).toMatchObject({ status: 'failed', error: STREAM_LOST_FAILURE });
    const stored = await messages.findById(job.responseMessageId);
    expect(stored).toMatchObject({ text: 't0 t1 t2 ', unfinished: true, error: true });
    const reopened: StreamEvent[] = [];
    await bus.subscribe(job.streamId, '0', (e) => reopened.push(e));
    expect(reopened).toHaveLength(1);
    expect(reopened[0]).toMatchObject({
      terminal: true,
      payload: { error: STREAM_LOST_FAILURE, responseMessage: { text: 't0 t1 t2 ', error: true } },
    });
  });

  /** Stores a message of the job's conversation under `parentId`, a second after the one stored before (in the past). */
  let clock = Date.now() - 3_600_000;
  async function add(job: ConversationGenerationJob, parentId: string, byUser: boolean, text: string) {
    const message = Object.assign(new MessageEntity(), {
      id: randomUUID(),
      conversationId: job.conversationId,
      parentMessageId: parentId,
      userId: job.userId,
      sender: byUser ? 'User' : 'Agent',
      isCreatedByUser: byUser,
      text,
      content: [{ type: 'text', text }],
      unfinished: false,
      error: false,
      agentId: job.agentId,
      model: null,
      promptTokens: null,
      completionTokens: null,
      createdAt: new Date((clock += 1000)),
    });
    await messages.insert(database.dataSource.manager, message);
    return message.id;
  }

  it('regenerating: the provider hears the thread down to the user message only, and the answer joins the earlier one', async () => {
    const first = await seed(); // "What is 6 x 7?", the root
    const a1 = await add(first, first.userMessageId, false, '42');
    const u2 = await add(first, a1, true, 'And 6 x 8?');
    const earlier = await add(first, u2, false, '48, the first time');
    // An edit of u2 (a sibling under the same parent) with its own answer: another branch.
    const edited = await add(first, a1, true, 'And 6 x 9?');
    await add(first, edited, false, '54');
    fake.script({ tokens: ['48', ', again'] });
    const job: ConversationGenerationJob = { ...first, userMessageId: u2 };
    const { events } = await watch(job);
    const outcome = await service.handle(job);

    expect(outcome.status).toBe('completed');
    expect(fake.requests[fake.requests.length - 1].body!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is 6 x 7?' },
      { role: 'assistant', content: '42' },
      { role: 'user', content: 'And 6 x 8?' },
    ]);
    expect(events.find((e) => e.terminal)!.payload).toMatchObject({
      final: true,
      requestMessage: { messageId: u2, text: 'And 6 x 8?' },
      responseMessage: { messageId: job.responseMessageId, parentMessageId: u2, text: '48, again' },
    });
    const answers = await database.dataSource.query<{ id: string }[]>(
      'SELECT id FROM messages WHERE parent_message_id = $1 ORDER BY created_at, id',
      [u2],
    );
    expect(answers.map((a) => a.id)).toEqual([earlier, job.responseMessageId]);
    // Nothing else was stored: no second copy of the question.
    const [{ n }] = await database.dataSource.query<{ n: string }[]>(
      'SELECT count(*) AS n FROM messages WHERE conversation_id = $1',
      [job.conversationId],
    );
    expect(Number(n)).toBe(7);
  });

  describe('titles of new conversations', () => {
    let titled: GenerationService;
    let titler: ConversationTitler;

    beforeAll(() => {
      ({ service: titled, titler } = generationWorker(database, bus, state, fake.baseURL, {
        TITLE_GENERATION: 'true',
        TITLE_TIMEOUT_MS: '3000',
      }));
    });
    afterEach(() => titler.idle());

    /** The first turn of a new conversation, created with the title "New Chat". */
    const firstTurn = async (): Promise<ConversationGenerationJob> => ({
      ...(await seed()),
      fallbackTitle: 'New Chat',
    });
    const titleOf = async (conversationId: string): Promise<string> =>
      (
        await database.dataSource.query<{ title: string }[]>('SELECT title FROM conversations WHERE id = $1', [
          conversationId,
        ])
      )[0].title;
    const titleEvents = (events: StreamEvent[]) =>
      events.filter((e) => (e.payload as { event?: string }).event === 'title');
    const titleUsage = (job: ConversationGenerationJob) =>
      database.dataSource.query<{ provider: string; model: string; input_tokens: number; output_tokens: number }[]>(
        'SELECT provider, model, input_tokens, output_tokens FROM usage_records WHERE id = $1',
        [titleUsageId(job.responseMessageId)],
      );

    it('asks the agent’s model beside the first answer, stores the title, announces it before final, records its usage', async () => {
      const asked = fake.titleRequests.length;
      fake.scriptTitles({
        tokens: ['"Multiplying', ' six', ' by seven."'],
        usage: { prompt_tokens: 40, completion_tokens: 4 },
      });
      fake.script({ tokens: ['6 x 7', ' = 42'], firstTokenDelayMs: 500 });
      const job = await firstTurn();
      const { events } = await watch(job);
      expect((await titled.handle(job)).status).toBe('completed');

      expect(fake.titleRequests).toHaveLength(asked + 1);
      const request = fake.titleRequests[asked].body!;
      expect(request.messages).toEqual([
        { role: 'system', content: TITLE_INSTRUCTIONS },
        { role: 'user', content: 'What is 6 x 7?' },
      ]);
      expect(request).toMatchObject({ model: 'gpt-4o', max_tokens: 30 });
      expect(request).not.toHaveProperty('tools');
      // The answer's request is the answer's: the title took nothing of it.
      expect(fake.requests[fake.requests.length - 1].body!.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is 6 x 7?' },
      ]);

      expect(titleEvents(events).map((e) => e.payload)).toEqual([
        { event: 'title', data: { conversationId: job.conversationId, title: 'Multiplying six by seven' } },
      ]);
      const terminal = events.filter((e) => e.terminal);
      expect(terminal).toHaveLength(1);
      expect(events.indexOf(titleEvents(events)[0])).toBeLessThan(events.indexOf(terminal[0]));
      expect(terminal[0].payload).toMatchObject({
        final: true,
        title: 'Multiplying six by seven',
        conversation: { title: 'Multiplying six by seven' },
      });
      expect(await titleOf(job.conversationId)).toBe('Multiplying six by seven');
      expect(await titleUsage(job)).toEqual([
        { provider: 'openai', model: 'gpt-4o', input_tokens: 40, output_tokens: 4 },
      ]);
    });

    it('never holds the answer: a title ready after the final only lands in the conversation', async () => {
      fake.scriptTitles({ tokens: ['Late', ' title'], firstTokenDelayMs: 1500 });
      fake.script({ tokens: ['42'] });
      const job = await firstTurn();
      const { events } = await watch(job);
      await titled.handle(job);
      expect(fake.titleRequests[fake.titleRequests.length - 1].finishedAt).toBeUndefined(); // still being written

      expect(titleEvents(events)).toEqual([]);
      expect(events.find((e) => e.terminal)!.payload).toMatchObject({ final: true, title: 'New Chat' });
      await titler.idle();
      expect(await titleOf(job.conversationId)).toBe('Late title');
    });

    it('keeps a title the user gave before the generated one landed', async () => {
      fake.scriptTitles({ tokens: ['Generated'] });
      const job = await firstTurn();
      await database.dataSource.query(`UPDATE conversations SET title = 'My sums' WHERE id = $1`, [job.conversationId]);
      const { events } = await watch(job);
      await titled.handle(job);
      await titler.idle();

      expect(await titleOf(job.conversationId)).toBe('My sums');
      expect(titleEvents(events)).toEqual([]);
      expect(events.find((e) => e.terminal)!.payload).toMatchObject({ final: true, title: 'My sums' });
    });

    it('leaves the first words when the title request fails, times out or comes back empty; the answer is unaffected', async () => {
      for (const script of [{ fail: { status: 500 } }, { hang: true }, { tokens: ['  ', '""'] }]) {
        fake.scriptTitles(script);
        fake.script({ tokens: ['4', '2'] });
        const job = await firstTurn();
        const { events } = await watch(job);
        const outcome = await titled.handle(job);
        await titler.idle();

        expect([script, outcome.status]).toEqual([script, 'completed']);
        expect(events.find((e) => e.terminal)!.payload).toMatchObject({
          final: true,
          title: 'New Chat',
          responseMessage: { text: '42' },
        });
        expect(titleEvents(events)).toEqual([]);
        expect(await titleOf(job.conversationId)).toBe('New Chat');
      }
      // The timed-out one was cut off, not left open.
      expect(fake.titleRequests[fake.titleRequests.length - 2].closedByClient).toBe(true);
    });

    it('asks nothing for a later turn, with titles off, or for a generation aborted before it began', async () => {
      const asked = fake.titleRequests.length;
      await titled.handle(await seed()); // a later turn: no fallbackTitle
      await service.handle(await firstTurn()); // TITLE_GENERATION=false
      const stopped = await firstTurn();
      await state.requestAbort(stopped.streamId);
      expect((await titled.handle(stopped)).status).toBe('aborted');
      await titler.idle();
      expect(fake.titleRequests).toHaveLength(asked);
    });
  });
});
