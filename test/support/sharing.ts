import type TestAgent from 'supertest/lib/agent';
import type { TestUser } from './factories';

/** The body of PUT /api/permissions/agent/:id (docs/http-api.md § Permissions). */
export interface SharingChange {
  updated?: { type: 'user' | 'group'; id: string; accessRoleId: string }[];
  removed?: { type: 'user' | 'group'; id: string }[];
  public?: boolean;
  publicAccessRoleId?: string;
}

export interface Group {
  id: string;
  name: string;
  description: string | null;
  memberCount: number;
  createdAt: string;
}

/** Changes an agent's grants as `sharer` through the API, expecting success. */
export async function share(http: TestAgent, sharer: TestUser, agentId: string, change: SharingChange): Promise<void> {
  await http.put(`/api/permissions/agent/${agentId}`).set(sharer.auth).send(change).expect(200);
}

/** Creates a group as `admin` and adds `members` to it, through the API. */
export async function createGroup(
  http: TestAgent,
  admin: TestUser,
  members: TestUser[] = [],
  name = `Group ${Math.random().toString(36).slice(2, 10)}`,
): Promise<Group> {
  const group = (await http.post('/api/groups').set(admin.auth).send({ name }).expect(201)).body as Group;
  for (const m of members) {
    await http.post(`/api/groups/${group.id}/members`).set(admin.auth).send({ userId: m.id }).expect(201);
  }
  return group;
}
