import { randomUUID } from 'node:crypto';
import type { AuthUser } from '@agents/auth';
import { InMemoryEventBus, InMemoryGenerationState } from '@agents/streaming';
import { ChatStatusService } from './chat-status.service';
import type { ConversationsRepository } from './conversations.repository';
import { ChatMessageDto } from './dto/conversation.dto';
import { MessageEntity } from './message.entity';
import type { MessagesRepository } from './messages.repository';

/** GET /chat/status: the resume state folded from the stream's log, or rebuilt when the log is gone. */
describe('ChatStatusService.status', () => {
  const user: AuthUser = { id: randomUUID(), email: 'a@example.com', name: 'A', role: 'USER' };
  let bus: InMemoryEventBus;
  let state: InMemoryGenerationState;
  let stored: MessageEntity;
  let service: ChatStatusService;
  let conversationId: string;

  beforeEach(async () => {
    bus = new InMemoryEventBus();
    state = new InMemoryGenerationState();
    conversationId = randomUUID();
    stored = Object.assign(new MessageEntity(), {
      id: randomUUID(),
      conversationId,
      parentMessageId: null,
      userId: user.id,
      sender: 'User',
      isCreatedByUser: true,
      text: 'Hello there',
      content: [{ type: 'text', text: 'Hello there' }],
      unfinished: false,
      error: false,
      agentId: null,
      model: null,
      promptTokens: null,
      completionTokens: null,
      createdAt: new Date('2026-01-01T00:00:00.000Z'),
    });
    const conversations = {
      findOwned: (userId: string, id: string) =>
        Promise.resolve(userId === user.id && id === conversationId ? {} : null),
    } as unknown as ConversationsRepository;
    const messages = {
      findById: (id: string) => Promise.resolve(id === stored.id ? stored : null),
    } as unknown as MessagesRepository;
    service = new ChatStatusService(conversations, messages, bus, state);
    await state.reserve(
      {
        streamId: conversationId,
        conversationId,
        userId: user.id,
        agentId: 'agent_x',
        userMessageId: stored.id,
        responseMessageId: 'r1',
      },
      { maxPerUser: 5 },
    );
  });
  afterEach(async () => {
    await bus.close();
    await state.close();
  });

  async function publishGeneration(): Promise<void> {
    await bus.create(conversationId);
    await bus.publish(conversationId, {
      created: true,
      message: ChatMessageDto.from(stored),
      streamId: conversationId,
    });
    const step = {
      id: 's1',
      index: 0,
      type: 'message_creation',
      stepDetails: { message_creation: { message_id: 'r1' } },
    };
    await bus.publish(conversationId, { event: 'on_run_step', data: step });
    await bus.publish(conversationId, {
      event: 'on_reasoning_delta',
      data: { id: 's1', delta: { content: [{ type: 'think', think: 'Hmm.' }] } },
    });
    for (const text of ['Hel', 'lo']) {
      await bus.publish(conversationId, {
        event: 'on_message_delta',
        data: { id: 's1', delta: { content: [{ type: 'text', text }] } },
      });
    }
    await state.appendContent(conversationId, 'Hello');
  }

  it('answers the stream’s events folded into content parts, run steps and the user message', async () => {
    await publishGeneration();
    const status = await service.status(user, conversationId);
    expect(status).toEqual({
      active: true,
      streamId: conversationId,
      status: 'running',
      aggregatedContent: [
        { type: 'think', think: 'Hmm.' },
        { type: 'text', text: 'Hello' },
      ],
      createdAt: expect.any(String) as string,
      resumeState: {
        runSteps: [expect.objectContaining({ id: 's1', type: 'message_creation' })],
        aggregatedContent: status.aggregatedContent,
        attachments: [],
        userMessage: ChatMessageDto.from(stored),
        responseMessageId: 'r1',
        conversationId,
      },
    });
    expect(bus.stats().subscriptions).toBe(0); // the log was read and the subscription closed
  });

  it('falls back to the state’s text as one text part and the stored user message once the log is gone', async () => {
    await state.appendContent(conversationId, 'Hello');
    await state.finish(conversationId, 'completed');
    expect(await service.status(user, conversationId)).toMatchObject({
      active: false,
      status: 'completed',
      aggregatedContent: [{ type: 'text', text: 'Hello' }],
      resumeState: {
        runSteps: [],
        aggregatedContent: [{ type: 'text', text: 'Hello' }],
        attachments: [],
        userMessage: ChatMessageDto.from(stored),
        responseMessageId: 'r1',
        conversationId,
      },
    });
  });

  it('falls back too when the log is still the previous generation’s, and has no text part for no text', async () => {
    const previous = Object.assign(new MessageEntity(), stored, { id: randomUUID() });
    await bus.create(conversationId);
    await bus.publish(conversationId, { created: true, message: ChatMessageDto.from(previous) });
    await bus.publish(conversationId, { final: true }, { terminal: true });
    const status = await service.status(user, conversationId);
    expect(status).toMatchObject({
      aggregatedContent: [],
      resumeState: { runSteps: [], userMessage: { messageId: stored.id } },
    });
  });

  it('answers {active: false} for another user’s conversation and for one without a generation', async () => {
    const stranger: AuthUser = { ...user, id: randomUUID() };
    expect(await service.status(stranger, conversationId)).toEqual({ active: false });
    expect(await service.status(user, randomUUID())).toEqual({ active: false });
  });
});
