import request from 'supertest';
import { createAgent, createUser, type TestUser } from './factories';
import type { FakeOpenAI } from './fake-openai';
import { readSse } from './sse';

/** What the search and share cases run against: the service's base URL and the stand-in its processes call. */
export interface SearchShareTarget {
  api: string;
  fake: FakeOpenAI;
}

interface Turn {
  conversationId: string;
  userMessageId: string;
  responseMessageId: string;
}

interface MessageHit {
  messageId: string;
  conversationId: string;
  title: string;
  sender: string;
  isCreatedByUser: boolean;
  createdAt: string;
  snippet: string;
}

interface ConversationHit {
  conversationId: string;
  title: string;
  messageId: string | null;
  snippet: string | null;
}

const fields = (body: { details?: { field: string }[] }) => (body.details ?? []).map((d) => d.field);

/**
 * Search over one's own messages and conversations, and share links, end to end: ranking,
 * snippets, web search syntax and pages; nobody ever finds another user's messages; a share link
 * shows exactly its snapshot, publicly, with nothing of its owner in it; only the owner manages it.
 */
export function searchShareCases(target: () => SearchShareTarget): void {
  const http = () => request(target().api);
  let me: TestUser;
  let other: TestUser;
  let myAgent: string;
  let otherAgent: string;

  /** One chat turn: `text` from the user, `answer` from the stand-in; waits for the stored answer. */
  const say = async (user: TestUser, agentId: string, text: string, answer: string, conversationId?: string) => {
    target().fake.script({ tokens: [answer] });
    const res = await http()
      .post('/api/agents/chat')
      .set(user.auth)
      .send({ agent_id: agentId, text, ...(conversationId ? { conversationId } : {}) })
      .expect(200);
    const sse = await readSse(`${target().api}/api/agents/chat/stream/${res.body.streamId}`, user.auth);
    expect(sse.frames[sse.frames.length - 1].data.final).toBe(true);
    return res.body as Turn;
  };
  const searchMessages = async (user: TestUser, search: string, extra: Record<string, string | number> = {}) => {
    const res = await http()
      .get('/api/messages')
      .query({ search, ...extra })
      .set(user.auth)
      .expect(200);
    return res.body as { data: MessageHit[]; has_more: boolean; after: string | null };
  };
  const searchConvos = async (user: TestUser, search: string) => {
    const res = await http().get('/api/convos').query({ search }).set(user.auth).expect(200);
    return res.body as { object: string; data: ConversationHit[] };
  };

  // Conversations of `me` (titles are their first message's text):
  let keeper: Turn; // "Where does the lighthouse keeper sleep?" / "In the lighthouse tower."
  let twice: Turn; // "Lighthouse lighthouse: tell me everything" / "Lighthouses guide ships."
  let boats: Turn; // "Tell me about boats" / "Boats float."
  let boatsAgain: Turn; // the same conversation: "and a lighthouse?" / "It has a lamp."
  let zebraTitle: Turn; // title "Zebra notes"
  let zebraTalk: Turn; // title "Hello there", then an answer saying zebra three times
  let theirs: Turn; // `other`'s conversation about a lighthouse

  beforeAll(async () => {
    target().fake.setDefault({ tokens: ['Noted.'] });
    me = await createUser(http());
    other = await createUser(http());
    myAgent = (await createAgent(http(), me)).id;
    otherAgent = (await createAgent(http(), other)).id;

    keeper = await say(me, myAgent, 'Where does the lighthouse keeper sleep?', 'In the tower, <b>upstairs</b>.');
    twice = await say(me, myAgent, 'Lighthouse lighthouse: tell me everything about lighthouses', 'They guide ships.');
    boats = await say(me, myAgent, 'Tell me about boats', 'Boats float.');
    boatsAgain = await say(me, myAgent, 'and a lighthouse?', 'It has a lamp.', boats.conversationId);
    zebraTitle = await say(me, myAgent, 'Zebra notes', 'Stripes.');
    zebraTalk = await say(me, myAgent, 'Hello there', 'A zebra, a zebra and one more zebra.');
    theirs = await say(other, otherAgent, 'My lighthouse keeper diary, keeper of the lighthouse', 'Lovely.');
  });

  it('ranks the caller’s matching messages, the word found more often first, with marked snippets', async () => {
    const page = await searchMessages(me, 'lighthouse');
    const ids = page.data.map((h) => h.messageId);
    expect(ids[0]).toBe(twice.userMessageId);
    expect(ids.sort()).toEqual([twice.userMessageId, keeper.userMessageId, boatsAgain.userMessageId].sort());
    const top = page.data[0];
    expect(top).toEqual({
      messageId: twice.userMessageId,
      conversationId: twice.conversationId,
      title: 'Lighthouse lighthouse: tell me everything about lighthouses',
      sender: 'User',
      isCreatedByUser: true,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      snippet: '«Lighthouse» «lighthouse»: tell me everything about «lighthouses»',
    });
    // Stemming, and an answer found by its words; its HTML tag is left out of the snippet.
    const answers = await searchMessages(me, 'towers upstairs');
    expect(answers.data).toEqual([
      expect.objectContaining({ messageId: keeper.responseMessageId, isCreatedByUser: false }),
    ]);
    expect(answers.data[0].snippet).toContain('«tower»');
    expect(answers.data[0].snippet).not.toContain('<b>');
  });

  it('takes web search syntax: "phrase", or, -word', async () => {
    const ids = async (search: string) => (await searchMessages(me, search)).data.map((h) => h.messageId).sort();
    expect(await ids('"lighthouse keeper"')).toEqual([keeper.userMessageId]);
    expect(await ids('lighthouse -keeper -everything')).toEqual([boatsAgain.userMessageId]);
    expect(await ids('boats or keeper')).toEqual(
      [keeper.userMessageId, boats.userMessageId, boats.responseMessageId].sort(),
    );
    // Stop words only: nothing to look for, nothing found.
    expect((await searchMessages(me, 'the and of')).data).toEqual([]);
  });

  it('walks every match once across pages, in the order of one big page', async () => {
    const all = (await searchMessages(me, 'lighthouse', { limit: 10 })).data.map((h) => h.messageId);
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: MessageHit[]; after: string | null } = await searchMessages(me, 'lighthouse', {
        limit: 1,
        ...(cursor ? { cursor } : {}),
      });
      walked.push(...page.data.map((h) => h.messageId));
      cursor = page.after;
    } while (cursor !== null && walked.length < 10);
    expect(walked).toEqual(all);
  });

  it('searches conversations by title and messages; a title match ranks first', async () => {
    const res = await searchConvos(me, 'zebra');
    expect(res.object).toBe('list');
    expect(res.data.map((c) => c.conversationId)).toEqual([zebraTitle.conversationId, zebraTalk.conversationId]);
    expect(res.data[0]).toMatchObject({ title: 'Zebra notes', messageId: zebraTitle.userMessageId });
    expect(res.data[1]).toMatchObject({ title: 'Hello there', messageId: zebraTalk.responseMessageId });
    // Every occurrence marked (fragments may trim the words around them).
    expect(res.data[1].snippet?.match(/«zebra»/g)).toHaveLength(3);
    expect(res.data[1].snippet?.replace(/«zebra»/g, '')).not.toMatch(/zebra/i);
    // The list's own fields are all there.
    expect(Object.keys(res.data[0])).toEqual(expect.arrayContaining(['agent_id', 'createdAt', 'updatedAt']));
  });

  it('never shows anyone else’s messages or conversations, on either route', async () => {
    const mine = await searchMessages(me, 'diary or keeper');
    expect(mine.data.map((h) => h.messageId)).toEqual([keeper.userMessageId]);
    const convos = await searchConvos(me, 'keeper');
    expect(convos.data.map((c) => c.conversationId)).toEqual([keeper.conversationId]);

    const theirsFound = await searchMessages(other, 'lighthouse');
    expect(theirsFound.data.map((h) => h.messageId)).toEqual([theirs.userMessageId]);
    expect((await searchConvos(other, 'zebra')).data).toEqual([]);
    expect((await searchMessages(other, 'boats')).data).toEqual([]);
  });

  it('refuses a bad search, limit or cursor with a 400 naming the field', async () => {
    const bad = async (path: string, query: Record<string, string | number>, field: string) => {
      const res = await http().get(path).query(query).set(me.auth).expect(400);
      expect(fields(res.body)).toEqual([field]);
    };
    await bad('/api/messages', {}, 'search');
    await bad('/api/messages', { search: '' }, 'search');
    await bad('/api/messages', { search: '   ' }, 'search');
    await bad('/api/messages', { search: 'x'.repeat(201) }, 'search');
    await bad('/api/messages', { search: '-keeper' }, 'search');
    await bad('/api/messages', { search: 'lighthouse', limit: 0 }, 'limit');
    await bad('/api/messages', { search: 'lighthouse', cursor: 'not-a-cursor' }, 'cursor');
    await bad('/api/convos', { search: '' }, 'search');
    await bad('/api/convos', { search: 'x'.repeat(201) }, 'search');
    const first = await searchMessages(me, 'lighthouse', { limit: 1 });
    await bad('/api/messages', { search: 'keeper', cursor: first.after! }, 'cursor');
    await http().get('/api/messages').query({ search: 'lighthouse' }).expect(401);
  });

  describe('share links', () => {
    let chat: Turn;
    let second: Turn;

    beforeAll(async () => {
      chat = await say(me, myAgent, 'Plan a picnic', 'Bring sandwiches.');
      second = await say(me, myAgent, 'And drinks?', 'Lemonade.', chat.conversationId);
    });

    const texts = (body: { messages: { text: string }[] }) => body.messages.map((m) => m.text);

    it('shows exactly the snapshot, publicly, with nothing of its owner', async () => {
      const created = await http().post(`/api/share/${chat.conversationId}`).set(me.auth).send({}).expect(201);
      expect(created.body).toMatchObject({
        shareId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        conversationId: chat.conversationId,
        title: 'Plan a picnic',
        messageId: second.responseMessageId,
        messageCount: 4,
      });
      const shareId = created.body.shareId as string;

      // Later messages stay out of the snapshot.
      await say(me, myAgent, 'What about games?', 'Frisbee.', chat.conversationId);
      const res = await http().get(`/api/share/${shareId}`).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-robots-tag']).toBe('noindex, nofollow');
      expect(res.body.title).toBe('Plan a picnic');
      expect(texts(res.body)).toEqual(['Plan a picnic', 'Bring sandwiches.', 'And drinks?', 'Lemonade.']);
      expect(res.body.messages[1]).toMatchObject({ sender: expect.any(String), isCreatedByUser: false });
      expect(res.body.messages[1].parentMessageId).toBe(res.body.messages[0].messageId);
      // Nothing in the JSON points at the owner or the conversation.
      for (const secret of [me.id, me.email, chat.conversationId, chat.userMessageId, second.responseMessageId]) {
        expect(res.text).not.toContain(secret);
      }
      expect(Object.keys(res.body).sort()).toEqual(['createdAt', 'messages', 'shareId', 'title', 'updatedAt']);
      expect(Object.keys(res.body.messages[0]).sort()).toEqual(
        ['content', 'createdAt', 'isCreatedByUser', 'messageId', 'parentMessageId', 'sender', 'text'].sort(),
      );
    });

    it('snapshots down to a given message, and again to the latest or another one', async () => {
      const created = await http()
        .post(`/api/share/${chat.conversationId}`)
        .set(me.auth)
        .send({ messageId: chat.responseMessageId })
        .expect(201);
      const shareId = created.body.shareId as string;
      expect(texts((await http().get(`/api/share/${shareId}`).expect(200)).body)).toEqual([
        'Plan a picnic',
        'Bring sandwiches.',
      ]);

      const latest = await http()
        .patch(`/api/share/${shareId}`)
        .set(me.auth)
        .send({ latest: true, title: 'Our picnic' })
        .expect(200);
      expect(latest.body).toMatchObject({ shareId, title: 'Our picnic', messageCount: 6 });
      const shown = (await http().get(`/api/share/${shareId}`).expect(200)).body;
      expect(shown.title).toBe('Our picnic');
      expect(texts(shown).slice(-2)).toEqual(['What about games?', 'Frisbee.']);

      await http().patch(`/api/share/${shareId}`).set(me.auth).send({ messageId: second.userMessageId }).expect(200);
      expect(texts((await http().get(`/api/share/${shareId}`).expect(200)).body)).toHaveLength(3);

      const listed = await http().get('/api/share').set(me.auth).expect(200);
      expect(listed.body.object).toBe('list');
      expect(listed.body.data[0]).toMatchObject({ shareId, title: 'Our picnic', messageCount: 3 });
    });

    it('is managed by its owner only: anyone else gets 404, and a revoked link is gone', async () => {
      const created = await http().post(`/api/share/${chat.conversationId}`).set(me.auth).expect(201);
      const shareId = created.body.shareId as string;

      await http().post(`/api/share/${chat.conversationId}`).set(other.auth).send({}).expect(404);
      const theirList = await http().get('/api/share').set(other.auth).expect(200);
      expect(theirList.body.data).toEqual([]);
      await http().patch(`/api/share/${shareId}`).set(other.auth).send({ title: 'Mine now' }).expect(404);
      await http().delete(`/api/share/${shareId}`).set(other.auth).expect(404);
      // The link itself is public: anyone holding it reads it, with or without credentials.
      await http().get(`/api/share/${shareId}`).set(other.auth).expect(200);
      await http().get('/api/share').expect(401);

      await http().delete(`/api/share/${shareId}`).set(me.auth).expect(204);
      await http().get(`/api/share/${shareId}`).expect(404);
      await http().delete(`/api/share/${shareId}`).set(me.auth).expect(404);
      await http().get('/api/share/AAAAAAAAAAAAAAAAAAAAAA').expect(404);
    });

    it('refuses bad bodies with a 400 naming the field', async () => {
      const created = await http().post(`/api/share/${chat.conversationId}`).set(me.auth).send({}).expect(201);
      const shareId = created.body.shareId as string;
      const bad = async (sent: Promise<request.Response>, field: string) => {
        const res = await sent;
        expect(res.status).toBe(400);
        expect(fields(res.body)).toEqual([field]);
      };
      await bad(http().post(`/api/share/${chat.conversationId}`).set(me.auth).send({ messageId: 'nope' }), 'messageId');
      await bad(http().post(`/api/share/${chat.conversationId}`).set(me.auth).send({ extra: 1 }), 'extra');
      await bad(http().patch(`/api/share/${shareId}`).set(me.auth).send({ title: '' }), 'title');
      await bad(
        http()
          .patch(`/api/share/${shareId}`)
          .set(me.auth)
          .send({ title: 'x'.repeat(257) }),
        'title',
      );
      await bad(
        http().patch(`/api/share/${shareId}`).set(me.auth).send({ latest: true, messageId: chat.userMessageId }),
        'latest',
      );
      await bad(http().get('/api/share').query({ cursor: 'nope' }).set(me.auth), 'cursor');
      // A message of another conversation is not part of this one.
      await http()
        .post(`/api/share/${chat.conversationId}`)
        .set(me.auth)
        .send({ messageId: keeper.userMessageId })
        .expect(404);
    });
  });
}
