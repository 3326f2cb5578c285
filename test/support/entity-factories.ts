import { randomUUID } from 'node:crypto';
import { AgentEntity } from '@agents/agents';
import type { AuthUser } from '@agents/auth';
import { newAgentId } from '@agents/core';
import type { AgentSnapshot } from '@agents/versions';

/** In-process factories for unit and integration tests (no HTTP). */

let sequence = 0;

export function authUser(overrides: Partial<AuthUser> = {}): AuthUser {
  sequence += 1;
  return {
    id: randomUUID(),
    email: `member${sequence}@example.com`,
    name: `Member ${sequence}`,
    role: 'USER',
    ...overrides,
  };
}

export function snapshot(overrides: Partial<AgentSnapshot> = {}): AgentSnapshot {
  sequence += 1;
  return {
    name: `Agent ${sequence}`,
    description: 'Helps with tests',
    instructions: 'Be brief.',
    provider: 'openai',
    model: 'gpt-4o',
    model_parameters: { temperature: 0.7, max_tokens: 512 },
    tools: ['calculator'],
    tool_resources: { file_search: { file_ids: [randomUUID()] } },
    avatar: { filepath: '/images/a.png', source: 'local' },
    category: 'general',
    conversation_starters: ['Hello?', 'What can you do?'],
    artifacts: '',
    recursion_limit: null,
    support_contact: null,
    edges: [],
    end_after_tools: false,
    hide_sequential_outputs: false,
    is_promoted: false,
    ...overrides,
  };
}

export function agentEntity(
  author: string,
  overrides: Partial<AgentEntity> = {},
  fields: Partial<AgentSnapshot> = {},
): AgentEntity {
  const at = new Date('2026-01-01T00:00:00.000Z');
  return Object.assign(new AgentEntity(), snapshot(fields), {
    id: newAgentId(),
    author,
    version: 1,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  });
}

let orderedIdCounter = 0;
/** Agent ids of digits only: they compare the same way under every collation, so expected orders are unambiguous. */
export function orderedAgentId(): string {
  orderedIdCounter += 1;
  return `agent_${String(orderedIdCounter).padStart(21, '0')}`;
}

/** A fixed instant for keyset tests, and `at(s)` seconds after it. */
export const T0 = new Date('2026-02-01T10:00:00.000Z');
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
