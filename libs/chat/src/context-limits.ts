import { ValidationFailedError } from '@agents/core';
import type { ContextBudget } from '@agents/providers';

/**
 * Refuses, before anything is stored or queued, a chat message that no provider call could carry:
 * with the agent's instructions it is over the context budget by itself (older history would be
 * dropped to make room, but the new message never is).
 */
export function assertTextWithinBudget(budget: ContextBudget, instructions: string | null, text: string): void {
  const required = budget.overBudget({
    instructions: instructions ?? undefined,
    messages: [{ role: 'user', content: text }],
  });
  if (required === null) return;
  throw new ValidationFailedError([
    {
      field: 'text',
      message: `with the agent's instructions the message is ${required} characters, over the context budget of ${budget.chars}; shorten it`,
    },
  ]);
}
