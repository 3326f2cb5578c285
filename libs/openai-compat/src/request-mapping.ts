import { createHash } from 'node:crypto';
import {
  ContextBudgetExceededError,
  type ChatMessage,
  type ChatParameters,
  type ChatToolCall,
  type ContextBudget,
} from '@agents/providers';
import { appendToolCall } from './conversation-history';
import type { ChatCompletionMessageDto, ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { MAX_MESSAGES, MAX_MESSAGE_CHARS } from './dto/chat-completion-request.dto';
import { OpenAIError } from './openai-error';
import { isRecord } from './openai-validators';
import { isFailedOutput, toolIdOf } from './response-items';

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

/** A message's text; an assistant message sent back without content stands for its refusal, if any. */
function messageText(message: ChatCompletionMessageDto): string {
  return message.content === null ? (message.refusal ?? '') : textOf(message.content);
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
    const text = messageText(message);
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
      verbosity: dto.verbosity,
    }),
  };
}

const INPUT_ROLES = ['user', 'assistant', 'system', 'developer'] as const;
type InputRole = (typeof INPUT_ROLES)[number];

/** Content parts OpenAI defines for input messages that carry something other than text. */
const NON_TEXT_PARTS = new Set(['input_image', 'input_file', 'input_audio']);

/**
 * What each text part type may carry besides `type`: the service's own output parts come back with
 * `annotations` and `logprobs`, which say nothing the answer needs and are accepted as they are.
 */
const TEXT_PARTS: Record<string, { text: 'text' | 'refusal'; extra: string[] }> = {
  input_text: { text: 'text', extra: [] },
  output_text: { text: 'text', extra: ['annotations', 'logprobs'] },
  text: { text: 'text', extra: ['annotations'] },
  refusal: { text: 'refusal', extra: [] },
};

/** The statuses OpenAI's message items carry (the service's own output items come back with one). */
const MESSAGE_STATUSES = ['in_progress', 'completed', 'incomplete'];

/** OpenAI's input item types this service cannot take (client-side tool calls and their outputs, reasoning, …). */
const unsupportedItem = (at: string, type: string): OpenAIError =>
  OpenAIError.invalidRequest(
    `Unsupported parameter: '${at}.type': '${type}' items are not supported; send message, mcp_call, ` +
      'web_search_call, image_generation_call or item_reference items.',
    `${at}.type`,
    'unsupported_parameter',
  );

const unknownField = (param: string): OpenAIError =>
  OpenAIError.invalidRequest(`Unrecognized request argument supplied: ${param}`, param, 'unknown_parameter');

/**
 * One entry of a Responses `input`: a message, a server-side tool call with its result (an
 * `mcp_call` item sent back), or a reference to an item of one of the caller's stored responses.
 */
export type ResponseInputEntry =
  | { type: 'message'; role: InputRole; text: string }
  | { type: 'tool_call'; call: ChatToolCall; output: string }
  | { type: 'item_reference'; id: string; param: string };

/** The text of a message item's content (a string or text parts); each problem names its parameter. */
function contentText(content: unknown, at: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) {
    throw OpenAIError.invalidRequest(
      `Invalid value for '${at}': a string or an array of input_text parts.`,
      at,
      'invalid_value',
    );
  }
  return content
    .map((part: unknown, j) => {
      const partAt = `${at}[${j}]`;
      if (!isRecord(part) || typeof part.type !== 'string') {
        throw OpenAIError.invalidRequest(`Invalid value for '${partAt}': expected a content part.`, partAt);
      }
      if (NON_TEXT_PARTS.has(part.type)) {
        throw OpenAIError.invalidRequest(
          `Unsupported parameter: '${partAt}.type': only text parts are supported.`,
          `${partAt}.type`,
          'unsupported_parameter',
        );
      }
      const shape = TEXT_PARTS[part.type];
      if (!shape) {
        throw OpenAIError.invalidRequest(
          `Invalid value for '${partAt}.type': expected 'input_text', 'output_text' or 'refusal'.`,
          `${partAt}.type`,
        );
      }
      const unknown = Object.keys(part).find(
        (key) => key !== 'type' && key !== shape.text && !shape.extra.includes(key),
      );
      if (unknown) throw unknownField(`${partAt}.${unknown}`);
      const text = part[shape.text];
      if (typeof text !== 'string') {
        throw OpenAIError.invalidRequest(
          `Invalid type for '${partAt}.${shape.text}': expected a string.`,
          `${partAt}.${shape.text}`,
          'invalid_type',
        );
      }
      for (const key of shape.extra) {
        if (part[key] !== undefined && !Array.isArray(part[key])) {
          throw OpenAIError.invalidRequest(
            `Invalid type for '${partAt}.${key}': expected an array.`,
            `${partAt}.${key}`,
            'invalid_type',
          );
        }
      }
      return text;
    })
    .join('');
}

function messageEntry(item: Record<string, unknown>, at: string): ResponseInputEntry {
  const { type: _type, role, content, id, status, ...rest } = item;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw unknownField(`${at}.${unknown}`);
  const inputRole = INPUT_ROLES.find((r) => r === role);
  if (!inputRole) {
    throw OpenAIError.invalidRequest(
      `Invalid value for '${at}.role': must be one of 'user', 'assistant', 'system' or 'developer'.`,
      `${at}.role`,
    );
  }
  if (id !== undefined && (typeof id !== 'string' || id.length > 256)) {
    throw OpenAIError.invalidRequest(`Invalid value for '${at}.id': a string of at most 256 characters.`, `${at}.id`);
  }
  if (status !== undefined && (typeof status !== 'string' || !MESSAGE_STATUSES.includes(status))) {
    throw OpenAIError.invalidRequest(
      `Invalid value for '${at}.status': must be one of 'in_progress', 'completed' or 'incomplete'.`,
      `${at}.status`,
    );
  }
  const text = contentText(content, `${at}.content`);
  if (text.length > MAX_MESSAGE_CHARS) {
    throw OpenAIError.invalidRequest(
      `Invalid value for '${at}.content': at most ${MAX_MESSAGE_CHARS} characters.`,
      `${at}.content`,
    );
  }
  return { type: 'message', role: inputRole, text };
}

function referenceEntry(item: Record<string, unknown>, at: string): ResponseInputEntry {
  const { type: _type, id, ...rest } = item;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw unknownField(`${at}.${unknown}`);
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
    throw OpenAIError.invalidRequest(
      `Invalid value for '${at}.id': the id of an item of a stored response.`,
      `${at}.id`,
    );
  }
  return { type: 'item_reference', id, param: `${at}.id` };
}

/**
 * The Responses API's `input` (a string, or items) → entries: message items (OpenAI's easy
 * `{role, content}` form and full `{type: "message", id, status, …}` items, so output items the
 * service returned can be sent back as they are), the hosted-tool items it returned (`mcp_call`,
 * `web_search_call`, `image_generation_call`) and `item_reference`s, which the caller resolves against its stored
 * responses. Each problem is a 400 naming the exact parameter, e.g. `input[2].content[0].type`.
 */
export function responseInputFrom(input: unknown): ResponseInputEntry[] {
  if (typeof input === 'string') {
    if (input.length > MAX_MESSAGE_CHARS) {
      throw OpenAIError.invalidRequest(`Invalid 'input': at most ${MAX_MESSAGE_CHARS} characters.`, 'input');
    }
    return [{ type: 'message', role: 'user', text: input }];
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
  return input.flatMap((item: unknown, i): ResponseInputEntry[] => {
    const at = `input[${i}]`;
    if (!isRecord(item)) {
      throw OpenAIError.invalidRequest(`Invalid type for '${at}': expected an object.`, at, 'invalid_type');
    }
    const type = item.type ?? null;
    // OpenAI lets an item reference omit its type: an item with an id and no role is one.
    if (type === 'item_reference' || (type === null && item.role === undefined && item.id !== undefined)) {
      return [referenceEntry(item, at)];
    }
    if (type === null || type === 'message') return [messageEntry(item, at)];
    if (type === 'mcp_call') return mcpCallEntries(item, at);
    if (type === 'web_search_call') return webSearchCallEntries(item, at);
    if (type === 'image_generation_call') return imageGenerationCallEntries(item, at);
    if (typeof type !== 'string') {
      throw OpenAIError.invalidRequest(
        `Invalid type for '${at}.type': expected a string.`,
        `${at}.type`,
        'invalid_type',
      );
    }
    throw unsupportedItem(at, type);
  });
}

/** A tool id a provider takes as a function name (OpenAI's rule, the strictest of the vendors'). */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

const MCP_CALL_STATUSES = ['in_progress', 'completed', 'incomplete', 'calling', 'failed'];
const MCP_CALL_FIELDS = new Set([
  'type',
  'id',
  'server_label',
  'name',
  'arguments',
  'output',
  'error',
  'status',
  'approval_request_id',
]);
const WEB_SEARCH_CALL_FIELDS = new Set(['type', 'id', 'status', 'action']);
const IMAGE_GENERATION_CALL_FIELDS = new Set(['type', 'id', 'status', 'result']);

/** A call id every provider takes (OpenAI: at most 40 characters; Anthropic: letters, digits, `_`, `-`). */
const CALL_ID = /^[a-zA-Z0-9_-]{1,40}$/;

/**
 * The id an item's call has in history: its own id when every provider takes it (the service's
 * are such), else one derived from it, the same each time (the call and its result must agree).
 */
function historyCallId(itemId: string): string {
  return CALL_ID.test(itemId) ? itemId : `call_${createHash('sha256').update(itemId).digest('hex').slice(0, 32)}`;
}

const invalidValue = (param: string, expected: string): OpenAIError =>
  OpenAIError.invalidRequest(`Invalid value for '${param}': ${expected}.`, param);

/** `item[key]` when it is a string of at most `max` characters (a 400 naming it otherwise). */
function stringField(item: Record<string, unknown>, key: string, at: string, max: number): string {
  const value = item[key];
  if (typeof value !== 'string' || value.length > max) {
    throw invalidValue(`${at}.${key}`, `a string of at most ${max} characters`);
  }
  return value;
}

/** A call's error as the model is given it: the text of an error string or of OpenAI's error object. */
function errorText(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined;
  const text =
    typeof error === 'string'
      ? error
      : isRecord(error) && typeof error.message === 'string'
        ? error.message
        : JSON.stringify(error);
  return isFailedOutput(text) ? text : `Error: ${text}`;
}

/**
 * An `mcp_call` item sent back (as the service output it, or as another OpenAI-compatible server
 * did): the call of the tool `<name>_mcp_<server_label>` (or `<name>` for this service's own,
 * `server_label: "agents"`) with its output, or its error, as the result. A call with neither never
 * finished and gives the model nothing: it is left out.
 */
function mcpCallEntries(item: Record<string, unknown>, at: string): ResponseInputEntry[] {
  const unknown = Object.keys(item).find((key) => !MCP_CALL_FIELDS.has(key));
  if (unknown !== undefined) throw unknownField(`${at}.${unknown}`);
  const { output, error, status, approval_request_id: approval } = item;
  const id = stringField(item, 'id', at, 256);
  const toolId = toolIdOf(stringField(item, 'server_label', at, 64), stringField(item, 'name', at, 64));
  if (!TOOL_NAME.test(toolId)) {
    throw invalidValue(`${at}.name`, "a tool name of letters, digits, '_' and '-' (with its server_label, at most 64)");
  }
  const args = stringField(item, 'arguments', at, MAX_MESSAGE_CHARS);
  if (output !== undefined && output !== null && (typeof output !== 'string' || output.length > MAX_MESSAGE_CHARS)) {
    throw invalidValue(`${at}.output`, `null or a string of at most ${MAX_MESSAGE_CHARS} characters`);
  }
  if (error !== undefined && error !== null && typeof error !== 'string' && !isRecord(error)) {
    throw invalidValue(`${at}.error`, 'null, a string or an error object');
  }
  if (status !== undefined && (typeof status !== 'string' || !MCP_CALL_STATUSES.includes(status))) {
    throw invalidValue(`${at}.status`, `one of ${MCP_CALL_STATUSES.map((s) => `'${s}'`).join(', ')}`);
  }
  if (approval !== undefined && approval !== null && typeof approval !== 'string') {
    throw invalidValue(`${at}.approval_request_id`, 'null or a string');
  }
  const result = typeof output === 'string' ? output : errorText(error);
  if (result === undefined) return [];
  return [{ type: 'tool_call', call: { id: historyCallId(id), name: toolId, arguments: args }, output: result }];
}

/**
 * A `web_search_call` item sent back: checked and left out. It holds the search but not what was
 * found (that was the call's output, which OpenAI's item has no field for), so the model is given
 * nothing for it, as OpenAI's own history carries no results of an earlier search either.
 */
function webSearchCallEntries(item: Record<string, unknown>, at: string): ResponseInputEntry[] {
  const unknown = Object.keys(item).find((key) => !WEB_SEARCH_CALL_FIELDS.has(key));
  if (unknown !== undefined) throw unknownField(`${at}.${unknown}`);
  stringField(item, 'id', at, 256);
  const { status, action } = item;
  if (status !== undefined && typeof status !== 'string') throw invalidValue(`${at}.status`, 'a string');
  if (action !== undefined && !isRecord(action)) throw invalidValue(`${at}.action`, 'an object');
  return [];
}

/**
 * An `image_generation_call` item sent back: checked and left out. Its image (OpenAI's base64
 * `result`, or null as this service sends it: the image is the user's file) is not for the model,
 * which was only told the image was made, as OpenAI's history does not give it the image either.
 */
function imageGenerationCallEntries(item: Record<string, unknown>, at: string): ResponseInputEntry[] {
  const unknown = Object.keys(item).find((key) => !IMAGE_GENERATION_CALL_FIELDS.has(key));
  if (unknown !== undefined) throw unknownField(`${at}.${unknown}`);
  stringField(item, 'id', at, 256);
  const { status, result } = item;
  if (status !== undefined && typeof status !== 'string') throw invalidValue(`${at}.status`, 'a string');
  if (result !== undefined && result !== null && typeof result !== 'string') {
    throw invalidValue(`${at}.result`, 'null or a string');
  }
  return [];
}

/**
 * A stored output item that an `item_reference` names, as entries: a message is the assistant's
 * text, an `mcp_call` its call and result, a `web_search_call` or `image_generation_call` nothing. Undefined for an item that
 * is none of these.
 */
export function storedItemEntries(item: unknown, at: string): ResponseInputEntry[] | undefined {
  if (!isRecord(item)) return undefined;
  if (item.type === 'mcp_call') return mcpCallEntries(item, at);
  if (item.type === 'web_search_call' || item.type === 'image_generation_call') return [];
  if (item.type !== 'message' || !Array.isArray(item.content)) return undefined;
  const text = item.content
    .map((part: unknown) => {
      if (!isRecord(part)) return '';
      if (part.type === 'output_text' && typeof part.text === 'string') return part.text;
      if (part.type === 'refusal' && typeof part.refusal === 'string') return part.refusal;
      return '';
    })
    .join('');
  return [{ type: 'message', role: 'assistant', text }];
}

/** Entries with their references resolved (to the entries of the items they name) → chat messages plus the system/developer text. */
export function conversationFrom(
  entries: ResponseInputEntry[],
  referenced: ReadonlyMap<string, ResponseInputEntry[]>,
): { messages: ChatMessage[]; system: string[] } {
  const messages: ChatMessage[] = [];
  const system: string[] = [];
  const add = (entry: ResponseInputEntry): void => {
    if (entry.type === 'item_reference') (referenced.get(entry.id) ?? []).forEach(add);
    else if (entry.type === 'tool_call') appendToolCall(messages, entry.call, entry.output);
    else if (entry.role === 'system' || entry.role === 'developer') system.push(entry.text);
    else messages.push({ role: entry.role, content: entry.text });
  };
  entries.forEach(add);
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
