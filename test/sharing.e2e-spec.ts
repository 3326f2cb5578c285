import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { createAgent, createUser, type TestUser } from './support/factories';
import { createGroup, share, type SharingChange } from './support/sharing';
import { startTestApp, type TestApp } from './support/test-app';

interface Principal {
  type: 'user' | 'group';
  id: string;
  name: string;
  email?: string;
  accessRoleId: string;
  permBits: number;
}

interface SharingState {
  resourceType: 'agent';
  resourceId: string;
  principals: Principal[];
  public: boolean;
  publicAccessRoleId: string | null;
}

/** The fields a 400 names in `details`, after checking the error shape. */
function badFields(res: Response): string[] {
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'Bad Request', message: expect.any(String) });
  return (res.body.details as { field: string }[]).map((d) => d.field);
}

function expectError(res: Response, status: number, error: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error, message: expect.any(String) });
}

/** Principals as comparable [type, id, role, bits] rows, sorted. */
const grantRows = (state: SharingState): [string, string, string, number][] =>
  state.principals
    .map((p) => [p.type, p.id, p.accessRoleId, p.permBits] as [string, string, string, number])
    .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));

describe('sharing (e2e)', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createUser(t.http, { name: 'Sharing Admin' });
    expect(admin.role).toBe('ADMIN');
  });
  afterAll(() => t.close());

  const newUser = (overrides: Parameters<typeof createUser>[1] = {}): Promise<TestUser> =>
    createUser(t.http, overrides);
  /** Agent names are unique, so a list searched by one shows that agent or nothing (other tests' public agents stay out). */
  const names = new Map<string, string>();
  const newAgent = async (owner: TestUser): Promise<string> => {
    const name = `sh-${randomUUID()}`;
    const { id } = await createAgent(t.http, owner, { name });
    names.set(id, name);
    return id;
  };
  const put = (u: TestUser, agentId: string, body: object): Test =>
    t.http.put(`/api/permissions/agent/${agentId}`).set(u.auth).send(body);
  const stateOf = async (u: TestUser, agentId: string): Promise<SharingState> =>
    (await t.http.get(`/api/permissions/agent/${agentId}`).set(u.auth).expect(200)).body as SharingState;
  const effective = (u: TestUser, agentId: string): Test =>
    t.http.get(`/api/permissions/agent/${agentId}/effective`).set(u.auth);
  const bitsOf = async (u: TestUser, agentId: string): Promise<number> => {
    const res = await effective(u, agentId);
    return res.status === 404 ? 0 : (res.body as { permissionBits: number }).permissionBits;
  };
  const userGrant = (u: TestUser, accessRoleId: string) => ({ type: 'user' as const, id: u.id, accessRoleId });
  const groupGrant = (id: string, accessRoleId: string) => ({ type: 'group' as const, id, accessRoleId });
  /** The ids `u` lists when searching for the agent's unique name: [agentId] or []. */
  const listed = async (u: TestUser, agentId: string, query: Record<string, number> = {}): Promise<string[]> => {
    const res = await t.http
      .get('/api/agents')
      .query({ limit: 100, search: names.get(agentId), ...query })
      .set(u.auth)
      .expect(200);
    return (res.body.data as { id: string }[]).map((a) => a.id);
  };

  describe('GET /api/permissions/agent/roles', () => {
    it('lists the four roles with their bits', async () => {
      const res = await t.http
        .get('/api/permissions/agent/roles')
        .set((await newUser()).auth)
        .expect(200);
      expect(res.body).toEqual([
        { accessRoleId: 'agent_viewer', permBits: 1, description: expect.any(String) },
        { accessRoleId: 'agent_user', permBits: 17, description: expect.any(String) },
        { accessRoleId: 'agent_editor', permBits: 19, description: expect.any(String) },
        { accessRoleId: 'agent_owner', permBits: 31, description: expect.any(String) },
      ]);
    });

    it('answers 401 without a token', async () => {
      expectError(await t.http.get('/api/permissions/agent/roles'), 401, 'Unauthorized');
    });
  });

  describe('GET /api/permissions/agent/:id', () => {
    it('lists each principal with name, email (users only), role and bits, and the public grant', async () => {
      const owner = await newUser({ name: 'Olga Owner' });
      const grantee = await newUser({ name: 'Gary Grantee' });
      const group = await createGroup(t.http, admin, [], `State Team ${randomUUID().slice(0, 6)}`);
      const agentId = await newAgent(owner);

      expect(await stateOf(owner, agentId)).toEqual({
        resourceType: 'agent',
        resourceId: agentId,
        principals: [
          {
            type: 'user',
            id: owner.id,
            name: 'Olga Owner',
            email: owner.email,
            accessRoleId: 'agent_owner',
            permBits: 31,
          },
        ],
        public: false,
        publicAccessRoleId: null,
      });

      await share(t.http, owner, agentId, {
        updated: [userGrant(grantee, 'agent_user'), groupGrant(group.id, 'agent_editor')],
        public: true,
      });
      const state = await stateOf(owner, agentId);
      expect(state.public).toBe(true);
      expect(state.publicAccessRoleId).toBe('agent_viewer');
      expect(state.principals).toHaveLength(3);
      expect(state.principals).toEqual(
        expect.arrayContaining([
          {
            type: 'user',
            id: grantee.id,
            name: 'Gary Grantee',
            email: grantee.email,
            accessRoleId: 'agent_user',
            permBits: 17,
          },
          { type: 'group', id: group.id, name: group.name, accessRoleId: 'agent_editor', permBits: 19 },
        ]),
      );
      // The public grant is reported through public/publicAccessRoleId, not as a principal.
      expect(state.principals.map((p) => p.type).sort()).toEqual(['group', 'user', 'user']);
    });
  });

  describe('PUT /api/permissions/agent/:id', () => {
    it('grants roles to a user and a group and answers the new state', async () => {
      const owner = await newUser();
      const alice = await newUser();
      const member = await newUser();
      const group = await createGroup(t.http, admin, [member]);
      const agentId = await newAgent(owner);
      expect(await bitsOf(alice, agentId)).toBe(0);
      expect(await bitsOf(member, agentId)).toBe(0);

      const res = await put(owner, agentId, {
        updated: [userGrant(alice, 'agent_viewer'), groupGrant(group.id, 'agent_user')],
      }).expect(200);
      expect(grantRows(res.body as SharingState)).toEqual(
        grantRows({
          principals: [
            { type: 'user', id: owner.id, accessRoleId: 'agent_owner', permBits: 31 },
            { type: 'user', id: alice.id, accessRoleId: 'agent_viewer', permBits: 1 },
            { type: 'group', id: group.id, accessRoleId: 'agent_user', permBits: 17 },
          ],
        } as SharingState),
      );
      expect(await stateOf(owner, agentId)).toEqual(res.body);
      expect(await bitsOf(alice, agentId)).toBe(1);
      expect(await bitsOf(member, agentId)).toBe(17);
    });

    it('changes a role, and the grantee gains exactly the new bits', async () => {
      const owner = await newUser();
      const bob = await newUser();
      const agentId = await newAgent(owner);
      await share(t.http, owner, agentId, { updated: [userGrant(bob, 'agent_viewer')] });
      await t.http.patch(`/api/agents/${agentId}`).set(bob.auth).send({ name: 'Nope' }).expect(403);

      const res = await put(owner, agentId, { updated: [userGrant(bob, 'agent_editor')] }).expect(200);
      expect((res.body as SharingState).principals).toContainEqual(
        expect.objectContaining({ id: bob.id, accessRoleId: 'agent_editor', permBits: 19 }),
      );
      expect((res.body as SharingState).principals).toHaveLength(2);
      await t.http.patch(`/api/agents/${agentId}`).set(bob.auth).send({ name: 'Edited by Bob' }).expect(200);
      expect(await bitsOf(bob, agentId)).toBe(19);
    });

    it('removes a grant: the former grantee no longer sees the agent', async () => {
      const owner = await newUser();
      const carol = await newUser();
      const agentId = await newAgent(owner);
      await share(t.http, owner, agentId, { updated: [userGrant(carol, 'agent_user')] });
      expect(await listed(carol, agentId)).toEqual([agentId]);

      const res = await put(owner, agentId, { removed: [{ type: 'user', id: carol.id }] }).expect(200);
      expect((res.body as SharingState).principals.map((p) => p.id)).toEqual([owner.id]);
      expectError(await t.http.get(`/api/agents/${agentId}`).set(carol.auth), 404, 'Not Found');
      expect(await listed(carol, agentId)).toEqual([]);
    });

    it('shares publicly as agent_viewer by default, with another role when named, and unshares', async () => {
      const owner = await newUser();
      const anyone = await newUser();
      const agentId = await newAgent(owner);
      expectError(await t.http.get(`/api/agents/${agentId}`).set(anyone.auth), 404, 'Not Found');

      const shared = await put(owner, agentId, { public: true }).expect(200);
      expect(shared.body).toMatchObject({ public: true, publicAccessRoleId: 'agent_viewer' });
      const seen = await t.http.get(`/api/agents/${agentId}`).set(anyone.auth).expect(200);
      expect(seen.body.isPublic).toBe(true);
      expect((await effective(anyone, agentId).expect(200)).body).toEqual({ permissionBits: 1, permissions: ['VIEW'] });

      const asUser = await put(owner, agentId, { public: true, publicAccessRoleId: 'agent_user' }).expect(200);
      expect(asUser.body).toMatchObject({ public: true, publicAccessRoleId: 'agent_user' });
      expect(await bitsOf(anyone, agentId)).toBe(17);
      expect(await listed(anyone, agentId, { requiredPermission: 16 })).toEqual([agentId]);

      const unshared = await put(owner, agentId, { public: false }).expect(200);
      expect(unshared.body).toMatchObject({ public: false, publicAccessRoleId: null });
      expectError(await t.http.get(`/api/agents/${agentId}`).set(anyone.auth), 404, 'Not Found');
      expect((await t.http.get(`/api/agents/${agentId}`).set(owner.auth).expect(200)).body.isPublic).toBe(false);
    });

    it('leaves the public grant alone when `public` is omitted', async () => {
      const owner = await newUser();
      const other = await newUser();
      const agentId = await newAgent(owner);
      await share(t.http, owner, agentId, { public: true, publicAccessRoleId: 'agent_user' });
      const res = await put(owner, agentId, { updated: [userGrant(other, 'agent_viewer')] }).expect(200);
      expect(res.body).toMatchObject({ public: true, publicAccessRoleId: 'agent_user' });
    });

    describe('rejects a bad body with 400 naming the field, and applies none of it', () => {
      let owner: TestUser;
      let agentId: string;
      let before: SharingState;
      let known: TestUser;

      beforeEach(async () => {
        owner = await newUser();
        known = await newUser();
        agentId = await newAgent(owner);
        before = await stateOf(owner, agentId);
      });
      afterEach(async () => {
        expect(await stateOf(owner, agentId)).toEqual(before);
      });

      const unknown = randomUUID();
      const cases: [string, () => object, string[]][] = [
        [
          'an unknown user',
          () => ({
            updated: [userGrant(known, 'agent_viewer'), { type: 'user', id: unknown, accessRoleId: 'agent_viewer' }],
          }),
          ['updated[1].id'],
        ],
        [
          'an unknown group',
          () => ({ updated: [{ type: 'group', id: unknown, accessRoleId: 'agent_viewer' }] }),
          ['updated[0].id'],
        ],
        [
          'a user id given as a group',
          () => ({ updated: [{ type: 'group', id: known.id, accessRoleId: 'agent_viewer' }] }),
          ['updated[0].id'],
        ],
        ['an unknown role', () => ({ updated: [userGrant(known, 'agent_admin')] }), ['updated[0].accessRoleId']],
        ['an unknown public role', () => ({ public: true, publicAccessRoleId: 'agent_god' }), ['publicAccessRoleId']],
        [
          'a non-UUID principal id',
          () => ({ updated: [{ type: 'user', id: 'bob', accessRoleId: 'agent_viewer' }] }),
          ['updated[0].id'],
        ],
        [
          'the public as a principal type',
          () => ({ updated: [{ type: 'public', id: unknown, accessRoleId: 'agent_viewer' }] }),
          ['updated[0].type'],
        ],
        [
          'the same principal in updated and removed',
          () => ({ updated: [userGrant(known, 'agent_viewer')], removed: [{ type: 'user', id: known.id }] }),
          ['removed[0]'],
        ],
        [
          'the same principal twice in updated',
          () => ({ updated: [userGrant(known, 'agent_viewer'), userGrant(known, 'agent_editor')] }),
          ['updated[1]'],
        ],
        [
          'the public as agent_owner',
          () => ({ public: true, publicAccessRoleId: 'agent_owner' }),
          ['publicAccessRoleId'],
        ],
        ['publicAccessRoleId without public', () => ({ publicAccessRoleId: 'agent_user' }), ['publicAccessRoleId']],
        [
          'publicAccessRoleId with public: false',
          () => ({ public: false, publicAccessRoleId: 'agent_user' }),
          ['publicAccessRoleId'],
        ],
        ['an unknown field', () => ({ owner: known.id }), ['owner']],
        ['updated that is not an array', () => ({ updated: userGrant(known, 'agent_viewer') }), ['updated']],
        ['public as a string', () => ({ public: 'yes' }), ['public']],
      ];

      it.each(cases)('%s', async (_label, body, fields) => {
        expect(badFields(await put(owner, agentId, body()))).toEqual(fields);
      });
    });

    it('answers 403 to a caller without SHARE (editor), 404 to one without VIEW, and changes nothing', async () => {
      const owner = await newUser();
      const editor = await newUser();
      const stranger = await newUser();
      const agentId = await newAgent(owner);
      await share(t.http, owner, agentId, { updated: [userGrant(editor, 'agent_editor')] });
      const before = await stateOf(owner, agentId);

      expectError(await put(editor, agentId, { updated: [userGrant(stranger, 'agent_viewer')] }), 403, 'Forbidden');
      expectError(await put(editor, agentId, { updated: [userGrant(editor, 'agent_owner')] }), 403, 'Forbidden');
      expectError(await put(editor, agentId, { public: true }), 403, 'Forbidden');
      expectError(await put(stranger, agentId, { public: true }), 404, 'Not Found');
      expect(await stateOf(owner, agentId)).toEqual(before);
      expect(await bitsOf(editor, agentId)).toBe(19);
    });

    it('lets a co-owner who is not ADMIN grant any role, including agent_owner, and remove the creator', async () => {
      const creator = await newUser();
      const coOwner = await newUser();
      const third = await newUser();
      const agentId = await newAgent(creator);
      await share(t.http, creator, agentId, { updated: [userGrant(coOwner, 'agent_owner')] });

      await put(coOwner, agentId, { updated: [userGrant(third, 'agent_owner')] }).expect(200);
      expect(await bitsOf(third, agentId)).toBe(31);
      await put(coOwner, agentId, { removed: [{ type: 'user', id: creator.id }] }).expect(200);
      // Being the author grants nothing by itself: access comes from grants only.
      expectError(await t.http.get(`/api/agents/${agentId}`).set(creator.auth), 404, 'Not Found');
      expect(grantRows(await stateOf(coOwner, agentId)).map((r) => r[1])).toEqual([coOwner.id, third.id].sort());
    });

    it('lets a member of a group granted agent_owner share the agent', async () => {
      const creator = await newUser();
      const member = await newUser();
      const guest = await newUser();
      const group = await createGroup(t.http, admin, [member]);
      const agentId = await newAgent(creator);
      await share(t.http, creator, agentId, { updated: [groupGrant(group.id, 'agent_owner')] });

      await put(member, agentId, { updated: [userGrant(guest, 'agent_editor')] }).expect(200);
      expect(await bitsOf(guest, agentId)).toBe(19);
    });

    describe('the last owner', () => {
      it('cannot be removed: 409, and no other change of that PUT is applied', async () => {
        const owner = await newUser();
        const other = await newUser();
        const agentId = await newAgent(owner);
        const before = await stateOf(owner, agentId);

        expectError(
          await put(owner, agentId, {
            updated: [userGrant(other, 'agent_editor')],
            removed: [{ type: 'user', id: owner.id }],
            public: true,
          }),
          409,
          'Conflict',
        );
        expect(await stateOf(owner, agentId)).toEqual(before);
        expect(await bitsOf(other, agentId)).toBe(0);
      });

      it('cannot be demoted to another role: 409, and nothing is applied', async () => {
        const owner = await newUser();
        const other = await newUser();
        const agentId = await newAgent(owner);
        const before = await stateOf(owner, agentId);

        expectError(
          await put(owner, agentId, { updated: [userGrant(other, 'agent_viewer'), userGrant(owner, 'agent_editor')] }),
          409,
          'Conflict',
        );
        expect(await stateOf(owner, agentId)).toEqual(before);
        expect(await bitsOf(owner, agentId)).toBe(31);
      });

      it('cannot be removed by ADMIN either', async () => {
        const owner = await newUser();
        const agentId = await newAgent(owner);
        expectError(await put(admin, agentId, { removed: [{ type: 'user', id: owner.id }] }), 409, 'Conflict');
        expect(await bitsOf(owner, agentId)).toBe(31);
      });

      it('one of two owners can be removed', async () => {
        const owner = await newUser();
        const second = await newUser();
        const agentId = await newAgent(owner);
        await share(t.http, owner, agentId, { updated: [userGrant(second, 'agent_owner')] });

        const res = await put(owner, agentId, { removed: [{ type: 'user', id: second.id }] }).expect(200);
        expect(grantRows(res.body as SharingState)).toEqual([['user', owner.id, 'agent_owner', 31]]);
        expect(await bitsOf(second, agentId)).toBe(0);
        // Now the remaining one is the last.
        expectError(await put(owner, agentId, { removed: [{ type: 'user', id: owner.id }] }), 409, 'Conflict');
      });

      it('can hand the agent over: grant a new owner and remove oneself in one PUT', async () => {
        const owner = await newUser();
        const heir = await newUser();
        const agentId = await newAgent(owner);
        await put(owner, agentId, {
          updated: [userGrant(heir, 'agent_owner')],
          removed: [{ type: 'user', id: owner.id }],
        }).expect(200);
        expect(await bitsOf(heir, agentId)).toBe(31);
        expect(await bitsOf(owner, agentId)).toBe(0);
      });
    });
  });

  describe('effective permissions', () => {
    it('are the OR of the user, group and public grants', async () => {
      const owner = await newUser();
      const u = await newUser();
      const group = await createGroup(t.http, admin, [u]);
      const agentId = await newAgent(owner);

      await share(t.http, owner, agentId, {
        updated: [userGrant(u, 'agent_viewer'), groupGrant(group.id, 'agent_user')],
      });
      expect((await effective(u, agentId).expect(200)).body).toEqual({
        permissionBits: 17,
        permissions: ['VIEW', 'USE'],
      });
      expect(await listed(u, agentId, { requiredPermission: 17 })).toEqual([agentId]);
      expect(await listed(u, agentId, { requiredPermission: 2 })).toEqual([]);

      // A public agent_viewer grant adds nothing new; a group agent_editor adds EDIT.
      await share(t.http, owner, agentId, { public: true, updated: [groupGrant(group.id, 'agent_editor')] });
      expect((await effective(u, agentId).expect(200)).body).toEqual({
        permissionBits: 19,
        permissions: ['VIEW', 'EDIT', 'USE'],
      });
      await t.http.patch(`/api/agents/${agentId}`).set(u.auth).send({ name: 'Edited through the group' }).expect(200);
    });

    it('come from the public grant alone for a user with no grant', async () => {
      const owner = await newUser();
      const u = await newUser();
      const agentId = await newAgent(owner);
      await share(t.http, owner, agentId, { public: true, publicAccessRoleId: 'agent_editor' });
      expect((await effective(u, agentId).expect(200)).body).toEqual({
        permissionBits: 19,
        permissions: ['VIEW', 'EDIT', 'USE'],
      });
    });

    it('are all five bits for ADMIN on an agent nobody shared with them', async () => {
      const agentId = await newAgent(await newUser());
      expect((await effective(admin, agentId).expect(200)).body).toEqual({
        permissionBits: 31,
        permissions: ['VIEW', 'EDIT', 'DELETE', 'SHARE', 'USE'],
      });
    });
  });

  describe('grants follow what they are about', () => {
    it('deleting an agent removes its grants: its former grantees get 404', async () => {
      const owner = await newUser();
      const viewer = await newUser();
      const member = await newUser();
      const group = await createGroup(t.http, admin, [member]);
      const agentId = await newAgent(owner);
      await share(t.http, owner, agentId, {
        updated: [userGrant(viewer, 'agent_viewer'), groupGrant(group.id, 'agent_user')],
      });

      await t.http.delete(`/api/agents/${agentId}`).set(owner.auth).expect(200);
      for (const u of [owner, viewer, member, admin]) expectError(await effective(u, agentId), 404, 'Not Found');
      expectError(await t.http.get(`/api/permissions/agent/${agentId}`).set(owner.auth), 404, 'Not Found');
      expectError(await t.http.get(`/api/permissions/agent/${agentId}`).set(admin.auth), 404, 'Not Found');
      expectError(await put(admin, agentId, { public: true }), 404, 'Not Found');
      for (const u of [owner, viewer, member]) expect(await listed(u, agentId)).toEqual([]);
    });

    it('deleting a group removes what its members could see through it', async () => {
      const owner = await newUser();
      const member = await newUser();
      const group = await createGroup(t.http, admin, [member]);
      const agentId = await newAgent(owner);
      await share(t.http, owner, agentId, { updated: [groupGrant(group.id, 'agent_editor')] });
      expect(await listed(member, agentId)).toEqual([agentId]);

      await t.http.delete(`/api/groups/${group.id}`).set(admin.auth).expect(200);
      expectError(await t.http.get(`/api/agents/${agentId}`).set(member.auth), 404, 'Not Found');
      expect(await listed(member, agentId)).toEqual([]);
      expect(grantRows(await stateOf(owner, agentId))).toEqual([['user', owner.id, 'agent_owner', 31]]);
    });

    it('removing a member from a group removes what they could see through it, and only for them', async () => {
      const owner = await newUser();
      const leaving = await newUser();
      const staying = await newUser();
      const group = await createGroup(t.http, admin, [leaving, staying]);
      const agentId = await newAgent(owner);
      await share(t.http, owner, agentId, { updated: [groupGrant(group.id, 'agent_user')] });

      await t.http.delete(`/api/groups/${group.id}/members/${leaving.id}`).set(admin.auth).expect(200);
      expect(await bitsOf(leaving, agentId)).toBe(0);
      expect(await bitsOf(staying, agentId)).toBe(17);
    });
  });

  describe('GET /api/permissions/search-principals', () => {
    const tag = randomUUID().slice(0, 6);
    let ada: TestUser;
    let caller: TestUser;
    let groupId: string;

    beforeAll(async () => {
      ada = await newUser({ name: `Ada ${tag} Lovelace`, email: `ada-${tag}@example.com` });
      await newUser({ name: `Someone Else`, email: `mail-${tag}@example.org` });
      groupId = (await createGroup(t.http, admin, [], `Analysts ${tag}`)).id;
      caller = await newUser();
    });

    const search = (q: string, extra: Record<string, string | number> = {}): Test =>
      t.http
        .get('/api/permissions/search-principals')
        .query({ q, ...extra })
        .set(caller.auth);

    it('finds users by name and groups by name, case-insensitively', async () => {
      const res = await search(tag.toUpperCase()).expect(200);
      const found = (res.body.data as { type: string; id: string; name: string; email?: string }[]).map((p) => [
        p.type,
        p.name,
      ]);
      expect(found.sort()).toEqual(
        [
          ['group', `Analysts ${tag}`],
          ['user', `Ada ${tag} Lovelace`],
          ['user', 'Someone Else'],
        ].sort(),
      );
      expect(res.body.data).toContainEqual({ type: 'user', id: ada.id, name: ada.name, email: ada.email });
      expect(res.body.data).toContainEqual({ type: 'group', id: groupId, name: `Analysts ${tag}` });
    });

    it('finds users by email', async () => {
      const res = await search(`mail-${tag}@`).expect(200);
      expect((res.body.data as { name: string }[]).map((p) => p.name)).toEqual(['Someone Else']);
    });

    it('finds nothing for text nobody has', async () => {
      expect((await search(`zz-${randomUUID()}`).expect(200)).body).toEqual({ data: [] });
    });

    it('honours limit', async () => {
      expect((await search(tag, { limit: 1 }).expect(200)).body.data).toHaveLength(1);
    });

    it('answers 400 naming q to a q of one character, and to a missing q', async () => {
      expect(badFields(await search('a'))).toEqual(['q']);
      expect(badFields(await t.http.get('/api/permissions/search-principals').set(caller.auth))).toEqual(['q']);
    });

    it('answers 401 without a token', async () => {
      expectError(await t.http.get('/api/permissions/search-principals').query({ q: tag }), 401, 'Unauthorized');
    });
  });

  describe('concurrency', () => {
    const ROUNDS = 5;

    it(`two owners removing each other at once: one wins, the other is refused, one owner remains (${ROUNDS} rounds)`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const a = await newUser();
        const b = await newUser();
        const agentId = await newAgent(a);
        await share(t.http, a, agentId, { updated: [userGrant(b, 'agent_owner')] });

        const [byA, byB] = await Promise.all([
          put(a, agentId, { removed: [{ type: 'user', id: b.id }] }),
          put(b, agentId, { removed: [{ type: 'user', id: a.id }] }),
        ]);
        // The loser's request runs after the winner's commit: by then the loser holds no grant at
        // all, so it cannot even see the agent (404). Either way, never both.
        const statuses = [byA.status, byB.status].sort();
        expect(statuses).toEqual([200, 404]);
        const winner = byA.status === 200 ? a : b;
        const state = await stateOf(admin, agentId);
        expect(grantRows(state)).toEqual([['user', winner.id, 'agent_owner', 31]]);
      }
    });

    it(`two sharers granting different users at once: both grants are kept (${ROUNDS} rounds)`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const a = await newUser();
        const b = await newUser();
        const x = await newUser();
        const y = await newUser();
        const agentId = await newAgent(a);
        await share(t.http, a, agentId, { updated: [userGrant(b, 'agent_owner')] });

        const results = await Promise.all([
          put(a, agentId, { updated: [userGrant(x, 'agent_viewer')] }),
          put(b, agentId, { updated: [userGrant(y, 'agent_editor')] }),
        ]);
        expect(results.map((r) => r.status)).toEqual([200, 200]);
        const rows = grantRows(await stateOf(admin, agentId)).map((r) => `${r[1]}:${r[2]}`);
        expect(rows.sort()).toEqual(
          [`${a.id}:agent_owner`, `${b.id}:agent_owner`, `${x.id}:agent_viewer`, `${y.id}:agent_editor`].sort(),
        );
      }
    });

    it('ten grants sent at once by one owner all land', async () => {
      const owner = await newUser();
      const grantees = await Promise.all(Array.from({ length: 10 }, () => newUser()));
      const agentId = await newAgent(owner);
      const changes: SharingChange[] = grantees.map((g) => ({ updated: [userGrant(g, 'agent_user')] }));
      const results = await Promise.all(changes.map((c) => put(owner, agentId, c)));
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
      const ids = (await stateOf(owner, agentId)).principals.map((p) => p.id).sort();
      expect(ids).toEqual([owner.id, ...grantees.map((g) => g.id)].sort());
    });
  });
});
