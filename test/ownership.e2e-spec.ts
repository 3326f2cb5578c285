import type { Response } from 'supertest';
import { createAgent, createUser, uploadFile, type TestUser } from './support/factories';
import { createGroup, share } from './support/sharing';
import { startTestApp, type TestApp } from './support/test-app';

/** Every agent keeps an owner who is a real user, and a copy carries only what its maker may use. */
describe('ownership (e2e)', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createUser(t.http, { name: 'Ownership Admin' });
    expect(admin.role).toBe('ADMIN');
  });
  afterAll(() => t.close());

  const bitsOf = async (u: TestUser, agentId: string): Promise<number> => {
    const res = await t.http.get(`/api/permissions/agent/${agentId}/effective`).set(u.auth);
    return res.status === 404 ? 0 : (res.body as { permissionBits: number }).permissionBits;
  };
  const ownerGrant = (type: 'user' | 'group', id: string) => ({ type, id, accessRoleId: 'agent_owner' });
  const removeMember = (groupId: string, userId: string) =>
    t.http.delete(`/api/groups/${groupId}/members/${userId}`).set(admin.auth);
  const deleteGroup = (groupId: string) => t.http.delete(`/api/groups/${groupId}`).set(admin.auth);
  const memberIds = async (groupId: string): Promise<string[]> =>
    ((await t.http.get(`/api/groups/${groupId}`).set(admin.auth).expect(200)).body.members as { id: string }[]).map(
      (m) => m.id,
    );
  function expectConflictNaming(res: Response, ...agentIds: string[]): void {
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: 'Conflict', message: expect.any(String) });
    for (const id of agentIds) expect(res.body.message).toContain(id);
  }

  /** An agent made by `creator` and handed over to `group` as its only owner. */
  async function ownedOnlyBy(creator: TestUser, groupId: string): Promise<string> {
    const { id } = await createAgent(t.http, creator);
    await share(t.http, creator, id, {
      updated: [ownerGrant('group', groupId)],
      removed: [{ type: 'user', id: creator.id }],
    });
    return id;
  }

  describe('groups that own agents', () => {
    it('cannot be deleted while they are an agent’s only owner: 409 naming the agents, nothing changes', async () => {
      const member = await createUser(t.http);
      const group = await createGroup(t.http, admin, [member]);
      const first = await ownedOnlyBy(member, group.id);
      const second = await ownedOnlyBy(member, group.id);

      expectConflictNaming(await deleteGroup(group.id), first, second);
      expect(await memberIds(group.id)).toEqual([member.id]);
      expect([await bitsOf(member, first), await bitsOf(member, second)]).toEqual([31, 31]);

      // Once someone else owns them too, the group can go.
      await share(t.http, member, first, { updated: [ownerGrant('user', member.id)] });
      await share(t.http, member, second, { updated: [ownerGrant('user', member.id)] });
      await deleteGroup(group.id).expect(200);
      expect(await bitsOf(member, first)).toBe(31);
    });

    it('cannot lose their last member while they are an agent’s only owner; another member may leave', async () => {
      const [ann, bob] = [await createUser(t.http), await createUser(t.http)];
      const group = await createGroup(t.http, admin, [ann, bob]);
      const agentId = await ownedOnlyBy(ann, group.id);

      await removeMember(group.id, bob.id).expect(200);
      expectConflictNaming(await removeMember(group.id, ann.id), agentId);
      expect(await memberIds(group.id)).toEqual([ann.id]);
      expect(await bitsOf(ann, agentId)).toBe(31);
      // Unrelated removals still answer as before.
      await removeMember(group.id, bob.id).expect(404);
    });

    it('can be deleted when every agent they own has another owner', async () => {
      const owner = await createUser(t.http);
      const group = await createGroup(t.http, admin, [await createUser(t.http)]);
      const { id } = await createAgent(t.http, owner);
      await share(t.http, owner, id, { updated: [ownerGrant('group', group.id)] });
      await deleteGroup(group.id).expect(200);
      expect(await bitsOf(owner, id)).toBe(31);
    });

    it('two concurrent removals of the last two members: one is refused, a member remains', async () => {
      for (let round = 0; round < 3; round++) {
        const [ann, bob] = [await createUser(t.http), await createUser(t.http)];
        const group = await createGroup(t.http, admin, [ann, bob]);
        const agentId = await ownedOnlyBy(ann, group.id);
        const results = await Promise.all([removeMember(group.id, ann.id), removeMember(group.id, bob.id)]);
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        expect(await memberIds(group.id)).toHaveLength(1);
        expect(Math.max(await bitsOf(ann, agentId), await bitsOf(bob, agentId))).toBe(31);
      }
    });

    it('a group delete racing the sharing change that removes the other owner: one of them is refused', async () => {
      for (let round = 0; round < 3; round++) {
        const owner = await createUser(t.http);
        const group = await createGroup(t.http, admin, [await createUser(t.http)]);
        const { id } = await createAgent(t.http, owner);
        await share(t.http, owner, id, { updated: [ownerGrant('group', group.id)] });
        const [deleted, unshared] = await Promise.all([
          deleteGroup(group.id),
          t.http
            .put(`/api/permissions/agent/${id}`)
            .set(owner.auth)
            .send({ removed: [{ type: 'user', id: owner.id }] }),
        ]);
        expect([deleted.status, unshared.status].sort()).toEqual([200, 409]);
        const state = (await t.http.get(`/api/permissions/agent/${id}`).set(admin.auth).expect(200)).body;
        expect((state.principals as { accessRoleId: string }[]).some((p) => p.accessRoleId === 'agent_owner')).toBe(
          true,
        );
      }
    });
  });

  describe('POST /api/agents/:id/duplicate', () => {
    it('gives a viewer’s or an editor’s copy none of the source’s file ids; an owner’s and the author’s keep them', async () => {
      const author = await createUser(t.http);
      const files = {
        file_search: { file_ids: [await uploadFile(t.http, author, 'handbook.md')] },
        code_interpreter: { file_ids: [await uploadFile(t.http, author, 'data.csv', Buffer.from('a,b\n1,2\n'))] },
      };
      const [viewer, editor, coOwner] = [await createUser(t.http), await createUser(t.http), await createUser(t.http)];
      const source = await createAgent(t.http, author, { tool_resources: files, instructions: 'Use the handbook.' });
      await share(t.http, author, source.id, {
        updated: [
          { type: 'user', id: viewer.id, accessRoleId: 'agent_viewer' },
          { type: 'user', id: editor.id, accessRoleId: 'agent_editor' },
          ownerGrant('user', coOwner.id),
        ],
      });
      const copyBy = async (u: TestUser) =>
        (await t.http.post(`/api/agents/${source.id}/duplicate`).set(u.auth).expect(201)).body as {
          id: string;
          tool_resources: unknown;
          author: string;
        };

      for (const u of [viewer, editor]) {
        const copy = await copyBy(u);
        expect(copy).toMatchObject({ author: u.id, tool_resources: {} });
        // Stored that way too, not only answered.
        const stored = await t.http.get(`/api/agents/${copy.id}`).set(u.auth).expect(200);
        expect(stored.body.tool_resources).toEqual({});
      }
      expect((await copyBy(coOwner)).tool_resources).toEqual(files);
      expect((await copyBy(author)).tool_resources).toEqual(files);
      // The source is untouched.
      expect((await t.http.get(`/api/agents/${source.id}`).set(author.auth).expect(200)).body.tool_resources).toEqual(
        files,
      );
    });
  });

  describe('sharing', () => {
    it('does not count an owner grant to a group without members: handing over to an empty group is 409', async () => {
      const owner = await createUser(t.http);
      const empty = await createGroup(t.http, admin, []);
      const { id } = await createAgent(t.http, owner);
      const res = await t.http
        .put(`/api/permissions/agent/${id}`)
        .set(owner.auth)
        .send({ updated: [ownerGrant('group', empty.id)], removed: [{ type: 'user', id: owner.id }] });
      expect(res.status).toBe(409);
      expect(await bitsOf(owner, id)).toBe(31);
    });
  });
});
