import { randomUUID } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent';

export interface TestUser {
  id: string;
  email: string;
  name: string;
  role: 'ADMIN' | 'USER';
  token: string;
  auth: { Authorization: string };
}

let counter = 0;

export function userInput(overrides: Partial<{ email: string; password: string; name: string }> = {}) {
  counter += 1;
  return {
    email: `user${counter}-${randomUUID().slice(0, 8)}@example.com`,
    password: 'correct horse battery',
    name: `User ${counter}`,
    ...overrides,
  };
}

/** Registers and logs in a user through the public API. */
export async function createUser(http: TestAgent, overrides: Parameters<typeof userInput>[0] = {}): Promise<TestUser> {
  const input = userInput(overrides);
  const registered = await http.post('/api/auth/register').send(input).expect(201);
  const login = await http.post('/api/auth/login').send({ email: input.email, password: input.password }).expect(200);
  const token = login.body.token as string;
  return {
    ...(registered.body.user as Omit<TestUser, 'token' | 'auth'>),
    token,
    auth: { Authorization: `Bearer ${token}` },
  };
}

export function agentInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    name: `Agent ${counter}`,
    description: 'Helps with tests',
    instructions: 'Be brief.',
    provider: 'openai',
    model: 'gpt-4o',
    ...overrides,
  };
}

/** Creates an agent through the API and returns the response body. */
export async function createAgent(
  http: TestAgent,
  user: TestUser,
  overrides: Record<string, unknown> = {},
): Promise<Record<string, unknown> & { id: string; version: number }> {
  const res = await http.post('/api/agents').set(user.auth).send(agentInput(overrides)).expect(201);
  return res.body as Record<string, unknown> & { id: string; version: number };
}

/**
 * A chat start answer without its stream ticket: every answer carries a fresh ticket (an idempotent
 * retry included), so comparing two answers means comparing the rest.
 */
export function withoutTicket(body: Record<string, unknown>): Record<string, unknown> {
  const { streamUrl, ticketExpiresAt, ...rest } = body;
  expect(streamUrl).toEqual(expect.stringContaining(`/api/agents/chat/stream/${String(body.streamId)}?ticket=`));
  expect(ticketExpiresAt).toEqual(expect.any(String));
  return rest;
}

/** Uploads a small text file as `user` through the API and returns its id (for tool_resources). */
export async function uploadFile(
  http: TestAgent,
  user: TestUser,
  name = 'notes.txt',
  data: Buffer = Buffer.from('Some notes.\n'),
): Promise<string> {
  const res = await http.post('/api/files').set(user.auth).attach('file', data, name).expect(201);
  return (res.body as { id: string }).id;
}
