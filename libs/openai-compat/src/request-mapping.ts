import {
  ContextBudgetExceededError,
  type ChatMessage,
  type ChatParameters,
  type ContextBudget,
} from '@agents/providers';
import type { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { MAX_MESSAGES, MAX_MESSAGE_CHARS } from './dto/chat-completion-request.dto';
import { OpenAIError } from './openai-error';
import { textLength } from './openai-validators';

/** What a request becomes for the worker: the conversation, extra system text, parameter overrides. */
export interface CompletionInput {
  messages: ChatMessage[];
  /** System/developer text, appended to the agent's instructions. */
  extraInstructions?: string;
  overrides: ChatParameters;
}

function textOf(content: string | { text: string }[]): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

function joinInstructions(parts: string[]): string | undefined {
  const text = parts.filter((part) => part.trim().length > 0).join('\n\n');
  return text || undefined;
}

/** Keeps the parameters the client gave (null means "not given", as in OpenAI's API). */
function definedOnly(parameters: Record<string, unknown>): ChatParameters {
  const given: ChatParameters = Object.fromEntries(
    Object.entries(parameters).filter(([, value]) => value !== undefined && value !== null),
  );
  return given;
}

/** A validated chat-completions request → the completion job's input. */
export function completionInputFrom(dto: ChatCompletionRequestDto): CompletionInput {
  const system: string[] = [];
  const messages: ChatMessage[] = [];
  for (const message of dto.messages) {
    const text = textOf(message.content);
    if (message.role === 'system' || message.role === 'developer') system.push(text);
    else messages.push({ role: message.role, content: text });
  }
  return {
    messages,
    extraInstructions: joinInstructions(system),
    overrides: definedOnly({
      temperature: dto.temperature,
      top_p: dto.top_p,
      max_tokens: dto.max_completion_tokens ?? dto.max_tokens,
      frequency_penalty: dto.frequency_penalty,
      presence_penalty: dto.presence_penalty,
      stop: typeof dto.stop === 'string' ? [dto.stop] : dto.stop,
      reasoning_effort: dto.reasoning_effort,
    }),
  };
}

const INPUT_ROLES = ['user', 'assistant', 'system', 'developer'];

/**
 * The Responses API's `input` (a string, or message items whose content is a string or
 * `input_text`/`output_text` parts) → chat messages plus system text. Each problem is a 400
 * naming the exact parameter, e.g. `input[2].content`.
 */
export function responseInputFrom(input: unknown): { messages: ChatMessage[]; system: string[] } {
  if (typeof input === 'string') {
    if (input.length > MAX_MESSAGE_CHARS) {
      throw OpenAIError.invalidRequest(`Invalid 'input': at most ${MAX_MESSAGE_CHARS} characters.`, 'input');
    }
    return { messages: [{ role: 'user', content: input }], system: [] };
  }
  if (!Array.isArray(input)) {
    throw OpenAIError.invalidRequest(
      "Invalid type for 'input': expected a string or an array of items.",
      'input',
      'invalid_type',
    );
  }
  if (input.length === 0 || input.length > MAX_MESSAGES) {
    throw OpenAIError.invalidRequest(`Invalid 'input': between 1 and ${MAX_MESSAGES} items.`, 'input');
  }
  const messages: ChatMessage[] = [];
  const system: string[] = [];
  input.forEach((item: unknown, i) => {
    const at = `input[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw OpenAIError.invalidRequest(`Invalid type for '${at}': expected an object.`, at, 'invalid_type');
    }
    const { type, role, content, ...rest } = item as Record<string, unknown>;
    const unknown = Object.keys(rest).find((key) => key !== 'id' && key !== 'status');
    if (unknown) {
      throw OpenAIError.invalidRequest(
        `Unrecognized request argument supplied: ${at}.${unknown}`,
        `${at}.${unknown}`,
        'unknown_parameter',
      );
    }
    if (type !== undefined && type !== 'message') {
      throw OpenAIError.invalidRequest(
        `Unsupported parameter: '${at}.type': only message items are supported.`,
        `${at}.type`,
        'unsupported_parameter',
      );
    }
    if (typeof role !== 'string' || !INPUT_ROLES.includes(role)) {
      throw OpenAIError.invalidRequest(
        `Invalid value for '${at}.role': must be one of 'user', 'assistant', 'system' or 'developer'.`,
        `${at}.role`,
      );
    }
    const length = textLength(content, ['input_text', 'output_text', 'text']);
    if (length === undefined || length > MAX_MESSAGE_CHARS) {
      throw OpenAIError.invalidRequest(
        `Invalid value for '${at}.content': a string or input_text parts, at most ${MAX_MESSAGE_CHARS} characters.`,
        `${at}.content`,
      );
    }
    const text = textOf(content as string | { text: string }[]);
    if (role === 'system' || role === 'developer') system.push(text);
    else messages.push({ role: role as 'user' | 'assistant', content: text });
  });
  return { messages, system };
}

/**
 * The input cut to the context budget, oldest history first, as the worker will send it — so a
 * job never carries more than one provider call can. When the instructions (the agent's and the
 * request's) and the newest user message are over the budget by themselves: a 400
 * `context_length_exceeded` naming `param`, before anything is queued.
 */
export function withinContextBudget(
  input: CompletionInput,
  agentInstructions: string | null,
  budget: ContextBudget,
  param: 'messages' | 'input',
): CompletionInput {
  const instructions = joinInstructions([agentInstructions ?? '', input.extraInstructions ?? '']);
  try {
    const fitted = budget.fit({ instructions, messages: input.messages });
    return fitted.messages === input.messages ? input : { ...input, messages: fitted.messages };
  } catch (err) {
    if (!(err instanceof ContextBudgetExceededError)) throw err;
    throw OpenAIError.invalidRequest(
      `This model's context budget is ${err.budgetChars} characters, but the instructions and the newest ` +
        `user message are ${err.requiredChars} characters. Please reduce the length of the messages.`,
      param,
      'context_length_exceeded',
    );
  }
}

export { joinInstructions, definedOnly };
