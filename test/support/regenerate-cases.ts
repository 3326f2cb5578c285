import request from 'supertest';
import { createAgent, createUser, withoutTicket, type TestUser } from './factories';
import type { FakeOpenAI, FakeScript, FakeRequestBody } from './fake-openai';
import { readSse, type SseFrame } from './sse';

/** What the regenerate and title cases run against: the service's base URL and the stand-in its processes call. */
export interface RegenerateTarget {
  api: string;
  fake: FakeOpenAI;
}

/** The processes of these cases generate titles (every other suite's run with them off). */
export const REGENERATE_ENV = { TITLE_GENERATION: 'true' };

/** LibreChat's `Constants.NO_PARENT`. */
const NO_PARENT = '00000000-0000-0000-0000-000000000000';

/** A message as `GET /api/messages/:conversationId` answers it (the fields the cases read). */
interface Message {
  messageId: string;
  parentMessageId: string | null;
  isCreatedByUser: boolean;
  text: string;
  createdAt: string;
}

interface Started {
  streamId: string;
  conversationId: string;
  userMessageId: string;
  responseMessageId: string;
}

const fields = (body: { details?: { field: string }[] }) => (body.details ?? []).map((d) => d.field);
const titleFrames = (frames: SseFrame[]) => frames.filter((f) => f.data.event === 'title');
const finalOf = (frames: SseFrame[]) => frames[frames.length - 1].data as Record<string, unknown>;
/** The user's and the answers' turns a provider request carried, without the system prompt. */
const turnsOf = (body: FakeRequestBody | undefined) =>
  (body?.messages ?? []).filter((m) => m.role !== 'system').map((m) => [m.role, m.content]);

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The children of each message in the order `GET /api/messages` lists them (null: the roots). */
function childrenOf(messages: Message[]): Map<string | null, string[]> {
  const children = new Map<string | null, string[]>();
  for (const m of messages) children.set(m.parentMessageId, [...(children.get(m.parentMessageId) ?? []), m.messageId]);
  return children;
}

/**
 * Regenerating answers and editing questions through POST /api/agents/chat, the tree of branches
 * GET /api/messages returns, and the titles the worker generates for new conversations
 * (docs/http-api.md § Chat and § Streams), through the built processes with titles on.
 */
export function regenerateCases(target: () => RegenerateTarget): void {
  const http = () => request(target().api);
  /** Title scripts by the first message's text: a title request is matched to its conversation, not to its turn. */
  const titles = new Map<string, FakeScript>();
  beforeAll(() => {
    const fake = target().fake;
    fake.setDefault({ tokens: ['Hello', ' world'] });
    fake.setTitleDefault((body) => {
      const text = body.messages?.[1]?.content;
      return (typeof text === 'string' ? titles.get(text) : undefined) ?? { tokens: ['Generated', ' title'] };
    });
  });
  const titleRequestsFor = (text: string) =>
    target().fake.titleRequests.filter((r) => r.body?.messages?.[1]?.content === text);

  const newUserWithAgent = async () => {
    const me = await createUser(http());
    const agent = await createAgent(http(), me);
    return { me, agent };
  };
  const post = (user: TestUser, body: Record<string, unknown>, idempotencyKey?: string) => {
    const req = http().post('/api/agents/chat').set(user.auth);
    if (idempotencyKey) req.set('Idempotency-Key', idempotencyKey);
    return req.send(body);
  };
  const stream = async (user: TestUser, streamId: string): Promise<SseFrame[]> => {
    const frames = (await readSse(`${target().api}/api/agents/chat/stream/${streamId}`, user.auth)).frames;
    expect(finalOf(frames)).toMatchObject({ final: true });
    return frames;
  };
  /** Starts a turn (200), reads its stream to the end; the start's answer and the frames. */
  const chat = async (user: TestUser, body: Record<string, unknown>, answer?: FakeScript) => {
    if (answer) target().fake.script(answer);
    const res = await post(user, body).expect(200);
    return { started: res.body as Started, frames: await stream(user, (res.body as Started).streamId) };
  };
  const messagesOf = async (user: TestUser, conversationId: string) =>
    (await http().get(`/api/messages/${conversationId}`).set(user.auth).expect(200)).body as Message[];
  const titleOf = async (user: TestUser, conversationId: string) =>
    (await http().get(`/api/convos/${conversationId}`).set(user.auth).expect(200)).body.title as string;
  const lastRequest = () => target().fake.requests[target().fake.requests.length - 1].body;

  /** q1 → a1 → q2 → a2, each turn answered with the given text. */
  const twoTurns = async (user: TestUser, agentId: string, q1: string, q2: string) => {
    const one = await chat(user, { agent_id: agentId, text: q1 }, { tokens: [`${q1} (answer)`] });
    const two = await chat(
      user,
      {
        agent_id: agentId,
        text: q2,
        conversationId: one.started.conversationId,
        parentMessageId: one.started.responseMessageId,
      },
      { tokens: [`${q2} (answer)`] },
    );
    return { conversationId: one.started.conversationId, one: one.started, two: two.started };
  };

  it('regenerates an answer beside the earlier one; the provider hears the thread down to that question only', async () => {
    const { me, agent } = await newUserWithAgent();
    const { conversationId, one, two } = await twoTurns(me, agent.id, 'How many leave days?', 'And sick days?');

    const { started, frames } = await chat(
      me,
      {
        agent_id: agent.id,
        text: 'And sick days?',
        conversationId,
        parentMessageId: two.userMessageId,
        isRegenerate: true,
      },
      { tokens: ['Ten', ' sick days.'] },
    );
    // The existing question is the one answered: no new user message.
    expect(started).toMatchObject({ conversationId, userMessageId: two.userMessageId });
    expect(started.responseMessageId).not.toBe(two.responseMessageId);
    expect(frames[0].data).toMatchObject({
      created: true,
      message: { messageId: two.userMessageId, text: 'And sick days?' },
    });
    expect(finalOf(frames)).toMatchObject({
      requestMessage: { messageId: two.userMessageId },
      responseMessage: {
        messageId: started.responseMessageId,
        parentMessageId: two.userMessageId,
        text: 'Ten sick days.',
      },
    });
    expect(turnsOf(lastRequest())).toEqual([
      ['user', 'How many leave days?'],
      ['assistant', 'How many leave days? (answer)'],
      ['user', 'And sick days?'],
    ]);

    // Regenerating the first answer: only the first question is heard, the later branch stays.
    const first = await chat(
      me,
      {
        agent_id: agent.id,
        text: 'How many leave days?',
        conversationId,
        parentMessageId: one.userMessageId,
        isRegenerate: true,
      },
      { tokens: ['Twenty-five.'] },
    );
    expect(turnsOf(lastRequest())).toEqual([['user', 'How many leave days?']]);

    const messages = await messagesOf(me, conversationId);
    expect(messages).toHaveLength(6);
    expect(messages.filter((m) => m.isCreatedByUser).map((m) => m.messageId)).toEqual([
      one.userMessageId,
      two.userMessageId,
    ]);
    const children = childrenOf(messages);
    // Siblings in the order they were written: the earlier answer first.
    expect(children.get(two.userMessageId)).toEqual([two.responseMessageId, started.responseMessageId]);
    expect(children.get(one.userMessageId)).toEqual([one.responseMessageId, first.started.responseMessageId]);
    expect(children.get(one.responseMessageId)).toEqual([two.userMessageId]);
  });

  it('edits a question as a sibling under the same parent: the provider hears the edited text, not the original', async () => {
    const { me, agent } = await newUserWithAgent();
    const { conversationId, one, two } = await twoTurns(me, agent.id, 'Leave days in 2026?', 'And sick days?');

    const edited = await chat(
      me,
      { agent_id: agent.id, text: 'And parental leave?', conversationId, parentMessageId: one.responseMessageId },
      { tokens: ['Sixteen weeks.'] },
    );
    expect(edited.started.userMessageId).not.toBe(two.userMessageId);
    expect(turnsOf(lastRequest())).toEqual([
      ['user', 'Leave days in 2026?'],
      ['assistant', 'Leave days in 2026? (answer)'],
      ['user', 'And parental leave?'],
    ]);

    // Editing the first question: a new root, heard alone.
    const root = await chat(
      me,
      { agent_id: agent.id, text: 'Leave days in 2027?', conversationId, parentMessageId: NO_PARENT },
      { tokens: ['Twenty-six.'] },
    );
    expect(turnsOf(lastRequest())).toEqual([['user', 'Leave days in 2027?']]);

    // The tree holds every branch, siblings in the order they were written.
    const messages = await messagesOf(me, conversationId);
    expect(messages).toHaveLength(8);
    const children = childrenOf(messages);
    expect(children.get(null)).toEqual([one.userMessageId, root.started.userMessageId]);
    expect(children.get(one.responseMessageId)).toEqual([two.userMessageId, edited.started.userMessageId]);
    expect(children.get(two.userMessageId)).toEqual([two.responseMessageId]);
    expect(children.get(edited.started.userMessageId)).toEqual([edited.started.responseMessageId]);
    expect(children.get(root.started.userMessageId)).toEqual([root.started.responseMessageId]);
    const byId = new Map(messages.map((m) => [m.messageId, m]));
    expect(byId.get(edited.started.userMessageId)).toMatchObject({
      text: 'And parental leave?',
      isCreatedByUser: true,
    });
    expect(byId.get(two.userMessageId)?.text).toBe('And sick days?'); // the original stays as it was
  });

  it('refuses a regenerate it cannot honour with 400 naming the field (404 for a conversation that is not theirs), storing nothing', async () => {
    const { me, agent } = await newUserWithAgent();
    const other = await newUserWithAgent();
    const { conversationId, one, two } = await twoTurns(me, agent.id, 'First?', 'Second?');
    const base = { agent_id: agent.id, text: 'Second?', isRegenerate: true };
    const bad = async (body: Record<string, unknown>) => {
      const res = await post(me, body);
      expect(res.status).toBe(400);
      return fields(res.body);
    };
    expect(await bad({ ...base, parentMessageId: two.userMessageId })).toEqual(['conversationId']);
    expect(await bad({ ...base, conversationId: 'new', parentMessageId: two.userMessageId })).toEqual([
      'conversationId',
    ]);
    expect(await bad({ ...base, conversationId })).toEqual(['parentMessageId']);
    expect(await bad({ ...base, conversationId, parentMessageId: NO_PARENT })).toEqual(['parentMessageId']);
    expect(await bad({ ...base, conversationId, parentMessageId: two.responseMessageId })).toEqual(['parentMessageId']);
    expect(await bad({ ...base, conversationId, overrideParentMessageId: one.responseMessageId })).toEqual([
      'overrideParentMessageId',
    ]);
    const theirs = await chat(other.me, { agent_id: other.agent.id, text: 'Theirs?' });
    expect(
      await bad({ ...base, conversationId, parentMessageId: theirs.started.userMessageId }), // not in this conversation
    ).toEqual(['parentMessageId']);
    expect(await bad({ ...base, conversationId, isRegenerate: 'yes', parentMessageId: two.userMessageId })).toEqual([
      'isRegenerate',
    ]);
    // overrideParentMessageId names the message to answer again: only with isRegenerate.
    expect(
      await bad({ agent_id: agent.id, text: 'x', conversationId, overrideParentMessageId: two.userMessageId }),
    ).toEqual(['overrideParentMessageId']);
    await post(me, {
      ...base,
      conversationId: theirs.started.conversationId,
      parentMessageId: theirs.started.userMessageId,
    }).expect(404);
    await post(me, {
      ...base,
      conversationId: '5f0c7d2e-8a4b-4c1d-9e3f-1a2b3c4d5e6f',
      parentMessageId: two.userMessageId,
    }).expect(404);

    expect(await messagesOf(me, conversationId)).toHaveLength(4);
    expect(await messagesOf(other.me, theirs.started.conversationId)).toHaveLength(2);
  });

  it('keeps the start’s guarantees: 409 while the conversation answers, the per-user limit, idempotent retries', async () => {
    const { me, agent } = await newUserWithAgent();
    const { conversationId, two } = await twoTurns(me, agent.id, 'Ask?', 'Ask again?');
    const regenerate = {
      agent_id: agent.id,
      text: 'Ask again?',
      conversationId,
      parentMessageId: two.userMessageId,
      isRegenerate: true,
    };

    // A running answer in the conversation: a regenerate is a 409.
    target().fake.script({ tokens: Array.from({ length: 200 }, (_, i) => `w${i} `), tokenDelayMs: 20 });
    const running = await post(me, { agent_id: agent.id, text: 'Long one', conversationId }).expect(200);
    await post(me, regenerate).expect(409);
    await http().post('/api/agents/chat/abort').set(me.auth).send({ conversationId }).expect(200);
    await stream(me, running.body.streamId as string);

    // Two running generations elsewhere (MAX_CONCURRENT_GENERATIONS is 2): a regenerate is a 429.
    target().fake.script(
      { tokens: Array.from({ length: 200 }, (_, i) => `x${i} `), tokenDelayMs: 20 },
      { tokens: Array.from({ length: 200 }, (_, i) => `y${i} `), tokenDelayMs: 20 },
    );
    const busy = [
      await post(me, { agent_id: agent.id, text: 'Busy one' }).expect(200),
      await post(me, { agent_id: agent.id, text: 'Busy two' }).expect(200),
    ];
    const limited = await post(me, regenerate);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    for (const res of busy) {
      await http()
        .post('/api/agents/chat/abort')
        .set(me.auth)
        .send({ conversationId: res.body.conversationId })
        .expect(200);
      await stream(me, res.body.streamId as string);
    }

    // An idempotent retry answers the first start and generates nothing more.
    target().fake.script({ tokens: ['Once.'] });
    const first = await post(me, regenerate, 'regen-1').expect(200);
    await stream(me, first.body.streamId as string);
    const requests = target().fake.requests.length;
    const retry = await post(me, regenerate, 'regen-1').expect(200);
    expect(withoutTicket(retry.body)).toEqual(withoutTicket(first.body));
    expect(target().fake.requests).toHaveLength(requests);
    // The same key with the same fields but not regenerating is another request.
    const { isRegenerate: _regenerate, ...plain } = regenerate;
    await post(me, plain, 'regen-1').expect(422);
    const answers = (await messagesOf(me, conversationId)).filter((m) => m.parentMessageId === two.userMessageId);
    expect(answers.map((m) => m.messageId)).toEqual([two.responseMessageId, first.body.responseMessageId]);
  });

  it('titles a new conversation: a title event before final, and the conversation and usage show it', async () => {
    const { me, agent } = await newUserWithAgent();
    const text = 'How many days of leave do part-time staff get in 2026?';
    titles.set(text, { tokens: ['Part-time', ' leave', ' days'], usage: { prompt_tokens: 50, completion_tokens: 3 } });
    // The answer waits: the title, asked for beside it, is ready first.
    const { started, frames } = await chat(
      me,
      { agent_id: agent.id, text },
      { tokens: ['Twenty', ' days.'], firstTokenDelayMs: 800, usage: { prompt_tokens: 100, completion_tokens: 10 } },
    );
    const titled = titleFrames(frames);
    expect(titled.map((f): unknown => f.data)).toEqual([
      { event: 'title', data: { conversationId: started.conversationId, title: 'Part-time leave days' } },
    ]);
    expect(frames.indexOf(titled[0])).toBeLessThan(frames.length - 1);
    expect(finalOf(frames)).toMatchObject({
      title: 'Part-time leave days',
      conversation: { title: 'Part-time leave days' },
      responseMessage: { text: 'Twenty days.' },
    });
    expect(await titleOf(me, started.conversationId)).toBe('Part-time leave days');
    // A stream resumed later shows it too.
    const sync = (await readSse(`${target().api}/api/agents/chat/stream/${started.streamId}?resume=true`, me.auth))
      .frames[0];
    expect(sync.data.resumeState).toMatchObject({ title: 'Part-time leave days' });

    // It was asked for once, of the agent's model, with the first message.
    const asked = titleRequestsFor(text);
    expect(asked).toHaveLength(1);
    expect(asked[0].body).toMatchObject({ model: 'gpt-4o', max_tokens: 30 });
    expect(asked[0].body).not.toHaveProperty('tools');
    // Its tokens are the user's usage too, as a request of its own.
    const usage = async () =>
      (await http().get('/api/usage').query({ groupBy: '' }).set(me.auth).expect(200)).body.totals as Record<
        string,
        number
      >;
    await until(async () => (await usage()).requests === 2);
    expect(await usage()).toMatchObject({ requests: 2, inputTokens: 150, outputTokens: 13 });

    // Later turns, regenerates and edits ask for none.
    const next = await chat(me, {
      agent_id: agent.id,
      text: 'And in 2027?',
      conversationId: started.conversationId,
      parentMessageId: started.responseMessageId,
    });
    await chat(me, {
      agent_id: agent.id,
      text: 'And in 2027?',
      conversationId: started.conversationId,
      parentMessageId: next.started.userMessageId,
      isRegenerate: true,
    });
    await chat(me, {
      agent_id: agent.id,
      text: 'And in 2028?',
      conversationId: started.conversationId,
      parentMessageId: started.responseMessageId,
    });
    for (const later of ['And in 2027?', 'And in 2028?']) expect(titleRequestsFor(later)).toEqual([]);
    expect(titleRequestsFor(text)).toHaveLength(1);
    expect(await titleOf(me, started.conversationId)).toBe('Part-time leave days');
  });

  it('keeps a title the user gave before the generated one landed', async () => {
    const { me, agent } = await newUserWithAgent();
    const text = 'Which forms do I need for a business trip?';
    titles.set(text, { tokens: ['Business', ' trip', ' forms'], firstTokenDelayMs: 1500 });
    // The answer takes a moment too: the rename lands while it is written.
    target().fake.script({ tokens: ['Form A.'], firstTokenDelayMs: 500 });
    const res = await post(me, { agent_id: agent.id, text }).expect(200);
    const { conversationId, streamId } = res.body as Started;
    await http().patch(`/api/convos/${conversationId}`).set(me.auth).send({ title: 'Travel paperwork' }).expect(200);
    const frames = await stream(me, streamId);
    expect(titleFrames(frames)).toEqual([]);
    expect(finalOf(frames)).toMatchObject({ title: 'Travel paperwork' });

    // The title came back (its usage is recorded once its store was tried) and changed nothing.
    await until(
      async () =>
        (await http().get('/api/usage').query({ groupBy: '' }).set(me.auth).expect(200)).body.totals.requests === 2,
    );
    expect(titleRequestsFor(text)).toHaveLength(1);
    expect(await titleOf(me, conversationId)).toBe('Travel paperwork');
  });

  it('leaves the first words when the title request fails; the answer is fine', async () => {
    const { me, agent } = await newUserWithAgent();
    const text = 'Is the office open on public holidays, and who do I ask if it is not?';
    titles.set(text, { fail: { status: 500, message: 'title model down' } });
    const { started, frames } = await chat(me, { agent_id: agent.id, text }, { tokens: ['It is closed.'] });
    expect(finalOf(frames)).toMatchObject({ final: true, responseMessage: { text: 'It is closed.', error: false } });
    expect(frames.some((f) => f.event === 'error')).toBe(false);
    expect(titleFrames(frames)).toEqual([]);
    await until(() => titleRequestsFor(text)[0]?.finishedAt !== undefined);
    await new Promise((r) => setTimeout(r, 300)); // what the worker does with the failure
    expect(await titleOf(me, started.conversationId)).toBe(text.slice(0, 60).trim());
    expect((await messagesOf(me, started.conversationId)).map((m) => m.text)).toEqual([text, 'It is closed.']);
  });
}

/** With TITLE_GENERATION=false: nothing is asked, and a new conversation keeps its first words. */
export function titlesOffCases(target: () => RegenerateTarget): void {
  const http = () => request(target().api);

  it('asks for no title and keeps the first words', async () => {
    const me = await createUser(http());
    const agent = await createAgent(http(), me);
    const text = 'What is the notice period for a permanent contract after probation ends?';
    const res = await http().post('/api/agents/chat').set(me.auth).send({ agent_id: agent.id, text }).expect(200);
    const frames = (await readSse(`${target().api}/api/agents/chat/stream/${res.body.streamId}`, me.auth)).frames;
    expect(frames[frames.length - 1].data).toMatchObject({ final: true, title: text.slice(0, 60).trim() });
    expect(frames.filter((f) => f.data.event === 'title')).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(target().fake.titleRequests).toEqual([]);
    expect((await http().get(`/api/convos/${res.body.conversationId}`).set(me.auth).expect(200)).body.title).toBe(
      text.slice(0, 60).trim(),
    );
  });
}
