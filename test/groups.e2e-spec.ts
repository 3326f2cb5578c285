import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { createUser, type TestUser } from './support/factories';
import { createGroup, type Group } from './support/sharing';
import { startTestApp, type TestApp } from './support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface GroupDetail extends Group {
  members: { id: string; name: string; email: string }[];
}

function badFields(res: Response): string[] {
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'Bad Request', message: expect.any(String) });
  return (res.body.details as { field: string }[]).map((d) => d.field);
}

function expectError(res: Response, status: number, error: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error, message: expect.any(String) });
}

describe('groups (e2e)', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createUser(t.http, { name: 'Groups Admin' });
    expect(admin.role).toBe('ADMIN');
  });
  afterAll(() => t.close());

  const newUser = (): Promise<TestUser> => createUser(t.http);
  const uniqueName = (prefix = 'Team'): string => `${prefix} ${randomUUID().slice(0, 8)}`;
  const newGroup = (members: TestUser[] = [], name = uniqueName()): Promise<Group> =>
    createGroup(t.http, admin, members, name);
  const detail = async (u: TestUser, id: string): Promise<GroupDetail> =>
    (await t.http.get(`/api/groups/${id}`).set(u.auth).expect(200)).body as GroupDetail;
  const listNames = async (u: TestUser): Promise<string[]> =>
    ((await t.http.get('/api/groups').set(u.auth).expect(200)).body.data as Group[]).map((g) => g.name);
  const addMember = (u: TestUser, groupId: string, userId: string) =>
    t.http.post(`/api/groups/${groupId}/members`).set(u.auth).send({ userId });
  const removeMember = (u: TestUser, groupId: string, userId: string) =>
    t.http.delete(`/api/groups/${groupId}/members/${userId}`).set(u.auth);

  describe('POST /api/groups', () => {
    it('creates a group (ADMIN) and answers 201 with id, name, description, memberCount and createdAt', async () => {
      const name = uniqueName('Platform');
      const res = await t.http
        .post('/api/groups')
        .set(admin.auth)
        .send({ name: `  ${name}  `, description: 'Owns the shared agents' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        name,
        description: 'Owns the shared agents',
        memberCount: 0,
        createdAt: expect.stringMatching(ISO),
      });
      expect(await detail(admin, res.body.id as string)).toEqual({ ...res.body, members: [] });
    });

    it('answers 403 to a user who is not ADMIN, and creates nothing', async () => {
      const name = uniqueName();
      expectError(
        await t.http
          .post('/api/groups')
          .set((await newUser()).auth)
          .send({ name }),
        403,
        'Forbidden',
      );
      expect(await listNames(admin)).not.toContain(name);
    });

    it('answers 401 without a token', async () => {
      expectError(await t.http.post('/api/groups').send({ name: uniqueName() }), 401, 'Unauthorized');
    });

    it('answers 409 to a name that exists, compared case-insensitively and trimmed', async () => {
      const name = uniqueName('Finance');
      await newGroup([], name);
      for (const dup of [name, name.toUpperCase(), name.toLowerCase(), ` ${name} `]) {
        expectError(await t.http.post('/api/groups').set(admin.auth).send({ name: dup }), 409, 'Conflict');
      }
      expect((await listNames(admin)).filter((n) => n.toLowerCase() === name.toLowerCase())).toEqual([name]);
    });

    it('lets exactly one of two concurrent creations of the same name win; the other gets 409', async () => {
      const name = uniqueName('Race');
      const results = await Promise.all(
        [name, name.toUpperCase()].map((n) => t.http.post('/api/groups').set(admin.auth).send({ name: n })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect((await listNames(admin)).filter((n) => n.toLowerCase() === name.toLowerCase())).toHaveLength(1);
    });

    it.each<[string, Record<string, unknown>, string[]]>([
      ['no name', {}, ['name']],
      ['an empty name', { name: '' }, ['name']],
      ['a blank name', { name: '   ' }, ['name']],
      ['a name of 129 characters', { name: 'n'.repeat(129) }, ['name']],
      ['a numeric name', { name: 42 }, ['name']],
      ['a description of 1,001 characters', { name: 'ok name', description: 'd'.repeat(1001) }, ['description']],
      ['an unknown field', { name: 'ok name', members: [] }, ['members']],
    ])('answers 400 naming the field to %s', async (_label, body, fields) => {
      expect(badFields(await t.http.post('/api/groups').set(admin.auth).send(body))).toEqual(fields);
    });

    it('accepts a name of exactly 128 characters', async () => {
      const name = `${randomUUID()}${'n'.repeat(128 - 36)}`;
      expect((await t.http.post('/api/groups').set(admin.auth).send({ name }).expect(201)).body.name).toBe(name);
    });
  });

  describe('GET /api/groups', () => {
    it('shows ADMIN every group, a member only their own groups, anyone else none', async () => {
      const alice = await newUser();
      const bob = await newUser();
      const loner = await newUser();
      const both = await newGroup([alice, bob]);
      const aliceOnly = await newGroup([alice]);
      const empty = await newGroup();

      expect(await listNames(admin)).toEqual(expect.arrayContaining([both.name, aliceOnly.name, empty.name]));
      expect((await listNames(alice)).sort()).toEqual([both.name, aliceOnly.name].sort());
      expect(await listNames(bob)).toEqual([both.name]);
      expect(await listNames(loner)).toEqual([]);
    });

    it('reports member counts', async () => {
      const [a, b] = [await newUser(), await newUser()];
      const group = await newGroup([a, b]);
      const listed = ((await t.http.get('/api/groups').set(a.auth).expect(200)).body.data as Group[]).find(
        (g) => g.id === group.id,
      );
      expect(listed).toEqual({ ...group, memberCount: 2 });
    });

    it('answers 401 without a token', async () => {
      expectError(await t.http.get('/api/groups'), 401, 'Unauthorized');
    });
  });

  describe('GET /api/groups/:id', () => {
    it('shows the group with its members to ADMIN and to a member; 404 to anyone else', async () => {
      const member = await newUser();
      const outsider = await newUser();
      const group = await newGroup([member]);
      const expected = {
        ...group,
        memberCount: 1,
        members: [{ id: member.id, name: member.name, email: member.email }],
      };
      expect(await detail(admin, group.id)).toEqual(expected);
      expect(await detail(member, group.id)).toEqual(expected);
      expectError(await t.http.get(`/api/groups/${group.id}`).set(outsider.auth), 404, 'Not Found');
    });

    it.each([
      ['an unknown id', randomUUID()],
      ['a malformed id', 'not-a-uuid'],
    ])('answers 404 to %s, even for ADMIN', async (_label, id) => {
      expectError(await t.http.get(`/api/groups/${id}`).set(admin.auth), 404, 'Not Found');
    });
  });

  describe('POST /api/groups/:id/members', () => {
    it('adds a member (ADMIN) and answers the group with its members', async () => {
      const user = await newUser();
      const group = await newGroup();
      const res = await addMember(admin, group.id, user.id).expect(201);
      expect(res.body).toEqual({
        ...group,
        memberCount: 1,
        members: [{ id: user.id, name: user.name, email: user.email }],
      });
      expect(await listNames(user)).toEqual([group.name]);
    });

    it('is idempotent: adding a member twice leaves one membership', async () => {
      const user = await newUser();
      const group = await newGroup([user]);
      const res = await addMember(admin, group.id, user.id).expect(201);
      expect(res.body.memberCount).toBe(1);
      expect((res.body as GroupDetail).members.map((m) => m.id)).toEqual([user.id]);
    });

    it('answers 400 naming userId to an unknown user and to a malformed id, and adds nobody', async () => {
      const group = await newGroup();
      expect(badFields(await addMember(admin, group.id, randomUUID()))).toEqual(['userId']);
      expect(badFields(await addMember(admin, group.id, 'bob'))).toEqual(['userId']);
      expect(badFields(await t.http.post(`/api/groups/${group.id}/members`).set(admin.auth).send({}))).toEqual([
        'userId',
      ]);
      expect((await detail(admin, group.id)).members).toEqual([]);
    });

    it('answers 403 to a user who is not ADMIN, a member included, and adds nobody', async () => {
      const member = await newUser();
      const friend = await newUser();
      const group = await newGroup([member]);
      expectError(await addMember(member, group.id, friend.id), 403, 'Forbidden');
      expectError(await addMember(friend, group.id, friend.id), 403, 'Forbidden');
      expect((await detail(admin, group.id)).members.map((m) => m.id)).toEqual([member.id]);
    });

    it('answers 404 to an unknown group', async () => {
      expectError(await addMember(admin, randomUUID(), (await newUser()).id), 404, 'Not Found');
    });
  });

  describe('DELETE /api/groups/:id/members/:userId', () => {
    it('removes a member (ADMIN); they no longer see the group', async () => {
      const leaving = await newUser();
      const staying = await newUser();
      const group = await newGroup([leaving, staying]);
      const res = await removeMember(admin, group.id, leaving.id).expect(200);
      expect(res.body).toMatchObject({ id: group.id, memberCount: 1 });
      expect((res.body as GroupDetail).members.map((m) => m.id)).toEqual([staying.id]);
      expect(await listNames(leaving)).toEqual([]);
      expectError(await t.http.get(`/api/groups/${group.id}`).set(leaving.auth), 404, 'Not Found');
    });

    it('answers 404 to a user who is not a member, and to a second removal', async () => {
      const member = await newUser();
      const other = await newUser();
      const group = await newGroup([member]);
      expectError(await removeMember(admin, group.id, other.id), 404, 'Not Found');
      expectError(await removeMember(admin, group.id, 'not-a-uuid'), 404, 'Not Found');
      await removeMember(admin, group.id, member.id).expect(200);
      expectError(await removeMember(admin, group.id, member.id), 404, 'Not Found');
    });

    it('answers 403 to a user who is not ADMIN, even removing themselves, and removes nobody', async () => {
      const member = await newUser();
      const group = await newGroup([member]);
      expectError(await removeMember(member, group.id, member.id), 403, 'Forbidden');
      expect((await detail(admin, group.id)).memberCount).toBe(1);
    });

    it('answers 404 to an unknown group', async () => {
      expectError(await removeMember(admin, randomUUID(), admin.id), 404, 'Not Found');
    });
  });

  describe('DELETE /api/groups/:id', () => {
    it('deletes the group (ADMIN): gone for ADMIN and for its former members', async () => {
      const member = await newUser();
      const group = await newGroup([member]);
      const res = await t.http.delete(`/api/groups/${group.id}`).set(admin.auth).expect(200);
      expect(res.body).toEqual({ message: 'Group deleted' });
      expectError(await t.http.get(`/api/groups/${group.id}`).set(admin.auth), 404, 'Not Found');
      expect(await listNames(admin)).not.toContain(group.name);
      expect(await listNames(member)).toEqual([]);
      expectError(await t.http.delete(`/api/groups/${group.id}`).set(admin.auth), 404, 'Not Found');
    });

    it('frees the name for a new group', async () => {
      const group = await newGroup();
      await t.http.delete(`/api/groups/${group.id}`).set(admin.auth).expect(200);
      await t.http.post('/api/groups').set(admin.auth).send({ name: group.name }).expect(201);
    });

    it('answers 403 to a user who is not ADMIN, and deletes nothing', async () => {
      const member = await newUser();
      const group = await newGroup([member]);
      expectError(await t.http.delete(`/api/groups/${group.id}`).set(member.auth), 403, 'Forbidden');
      expect((await detail(admin, group.id)).memberCount).toBe(1);
    });

    it.each([
      ['an unknown id', randomUUID()],
      ['a malformed id', 'not-a-uuid'],
    ])('answers 404 to %s', async (_label, id) => {
      expectError(await t.http.delete(`/api/groups/${id}`).set(admin.auth), 404, 'Not Found');
    });
  });
});
