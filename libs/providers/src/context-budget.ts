import { Injectable } from '@nestjs/common';
import { AppConfig } from '@agents/core';
import type { ChatMessage, ChatRequest } from './chat-provider';

/**
 * The context budget: how much one provider call may carry. Measured in characters (see
 * CONTEXT_BUDGET_CHARS), so the same rule holds for every vendor without a tokenizer per model.
 */

/** What the budget is measured on: the instructions and the messages of a request. */
export type BudgetedRequest = Pick<ChatRequest, 'instructions' | 'messages'>;

/** Thrown when the part of a request that is never dropped is over the budget by itself. */
export class ContextBudgetExceededError extends Error {
  override readonly name = 'ContextBudgetExceededError';
  constructor(
    readonly requiredChars: number,
    readonly budgetChars: number,
  ) {
    super(
      `The instructions and the newest message are ${requiredChars} characters, more than the context budget ` +
        `of ${budgetChars}; shorten the message`,
    );
  }
}

/**
 * What one image costs against the budget. A model's tokens for an image do not follow its bytes
 * (OpenAI bills a fixed grid of tiles), so a fixed cost: about a detailed image's tokens, in characters.
 */
export const IMAGE_CHARS = 1_000;

/** Characters a message costs: its text, {@link IMAGE_CHARS} per image, and for tool calls their names and arguments. */
export function messageChars(message: ChatMessage): number {
  let chars = message.content.length;
  if (message.role === 'assistant') {
    for (const call of message.toolCalls ?? []) chars += call.name.length + call.arguments.length;
  }
  if (message.role === 'user') chars += (message.images?.length ?? 0) * IMAGE_CHARS;
  return chars;
}

/**
 * Where the part that is always sent begins: the newest user message, with whatever follows it
 * (an assistant prefill, tool results of the turn in progress). Without any user message, the
 * last message alone.
 */
function protectedFrom(messages: ChatMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return i;
  return Math.max(0, messages.length - 1);
}

/** The characters that are sent whatever the budget: the instructions and the newest user turn. */
export function requiredChars(request: BudgetedRequest): number {
  const tail = request.messages.slice(protectedFrom(request.messages));
  return (request.instructions?.length ?? 0) + tail.reduce((sum, m) => sum + messageChars(m), 0);
}

/**
 * The request with its history cut to `budgetChars`, oldest messages first. The instructions and
 * the newest user message (and what follows it) are always kept; when they alone are over the
 * budget, {@link ContextBudgetExceededError}. After a cut the history starts at a user message, so
 * no tool result loses the call it answers and no answer loses its question. Within the budget
 * the request comes back as it was (the same object).
 */
export function fitContextBudget<R extends BudgetedRequest>(request: R, budgetChars: number): R {
  const { messages } = request;
  const tailStart = protectedFrom(messages);
  let used = requiredChars(request);
  if (used > budgetChars) throw new ContextBudgetExceededError(used, budgetChars);
  let keepFrom = tailStart;
  while (keepFrom > 0 && used + messageChars(messages[keepFrom - 1]) <= budgetChars) {
    keepFrom -= 1;
    used += messageChars(messages[keepFrom]);
  }
  if (keepFrom === 0) return request;
  while (keepFrom < tailStart && messages[keepFrom].role !== 'user') keepFrom += 1;
  return { ...request, messages: messages.slice(keepFrom) };
}

/** The configured budget (CONTEXT_BUDGET_CHARS), for the api's checks and the worker's cut. */
@Injectable()
export class ContextBudget {
  constructor(private readonly config: AppConfig) {}

  get chars(): number {
    return this.config.contextBudgetChars;
  }

  /** See {@link fitContextBudget}. */
  fit<R extends BudgetedRequest>(request: R): R {
    return fitContextBudget(request, this.chars);
  }

  /** The characters that must be sent when they are over the budget; null when the request can be fitted. */
  overBudget(request: BudgetedRequest): number | null {
    const required = requiredChars(request);
    return required > this.chars ? required : null;
  }
}
