import { createHash } from 'node:crypto';
import { MAX_IMAGE_BYTES, sniffImageType, type ChatFiles } from '@agents/chat';
import {
  ContextBudgetExceededError,
  type ChatImage,
  type ChatMessage,
  type ChatParameters,
  type ChatToolCall,
  type ContextBudget,
} from '@agents/providers';
import { appendToolCall } from './conversation-history';
import type { ChatCompletionMessageDto, ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { MAX_MESSAGES, MAX_MESSAGE_CHARS } from './dto/chat-completion-request.dto';
import {
  ImageCount,
  MAX_INPUT_FILE_CHARS,
  fileDataBytes,
  imageFromUrl,
  inputFileText,
  unsupported,
} from './input-files';
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

/** A message's text; an assistant message sent back without content stands for its refusal, if any. */
function messageText(message: ChatCompletionMessageDto): string {
  if (message.content === null) return message.refusal ?? '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

const IMAGE_URL_FIELDS = new Set(['url', 'detail']);
const IMAGE_DETAILS = ['auto', 'low', 'high'];

/** The images of a user message's `image_url` parts (the pipe checked the parts' shape, not their fields). */
function messageImages(message: ChatCompletionMessageDto, at: string, count: ImageCount): ChatImage[] {
  if (message.role !== 'user' || !Array.isArray(message.content)) return [];
  return message.content.flatMap((part, j): ChatImage[] => {
    if (part.type !== 'image_url') return [];
    const partAt = `${at}.content[${j}]`;
    const unknownPart = Object.keys(part).find((key) => key !== 'type' && key !== 'image_url');
    if (unknownPart !== undefined) throw unknownField(`${partAt}.${unknownPart}`);
    const imageUrl: unknown = part.image_url;
    if (!isRecord(imageUrl)) {
      throw OpenAIError.invalidRequest(
        `Invalid type for '${partAt}.image_url': expected an object.`,
        `${partAt}.image_url`,
        'invalid_type',
      );
    }
    const unknown = Object.keys(imageUrl).find((key) => !IMAGE_URL_FIELDS.has(key));
    if (unknown !== undefined) throw unknownField(`${partAt}.image_url.${unknown}`);
    if (imageUrl.detail !== undefined && !IMAGE_DETAILS.includes(imageUrl.detail as string)) {
      throw invalidValue(`${partAt}.image_url.detail`, "one of 'auto', 'low' or 'high'");
    }
    count.add(`${partAt}.image_url`);
    return [imageFromUrl(imageUrl.url, `${partAt}.image_url.url`)];
  });
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
  const images = new ImageCount();
  dto.messages.forEach((message, i) => {
    const text = messageText(message);
    if (message.role === 'system' || message.role === 'developer') system.push(text);
    else if (message.role === 'assistant') messages.push({ role: 'assistant', content: text });
    else {
      const given = messageImages(message, `messages[${i}]`, images);
      messages.push(
        given.length > 0 ? { role: 'user', content: text, images: given } : { role: 'user', content: text },
      );
    }
  });
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
  | {
      type: 'message';
      role: InputRole;
      text: string;
      /** The images given inline (`input_image` with a data: URL). */
      images?: ChatImage[];
      /** The caller's files the message names by id, for the caller to resolve (see resolveInputFiles). */
      files?: InputFileRef[];
    }
  | { type: 'tool_call'; call: ChatToolCall; output: string }
  | { type: 'item_reference'; id: string; param: string };

/** A file of the caller's that an input part names by `file_id`: as an image, or as a file to read as text. */
export interface InputFileRef {
  fileId: string;
  as: 'image' | 'file';
  /** The parameter that named it, for the 400 when it is not one of the caller's usable files. */
  param: string;
}

/** A message item's content, read: its text, images given inline, files named by id, and inline files' text. */
interface MessageContent {
  text: string;
  images: ChatImage[];
  files: InputFileRef[];
  fileTexts: string[];
}

const INPUT_IMAGE_FIELDS = new Set(['type', 'image_url', 'file_id', 'detail']);
const INPUT_FILE_FIELDS = new Set(['type', 'file_data', 'filename', 'file_id', 'file_url']);

/** `part[key]` unless it is absent or null (OpenAI's "not given"). */
function given(part: Record<string, unknown>, key: string): unknown {
  return part[key] === null ? undefined : part[key];
}

/** A file id as a part names it: a string of at most 256 characters. */
function fileIdOf(value: unknown, param: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw invalidValue(param, 'a file id');
  }
  return value;
}

/** An `input_image` part: a data: URL (`image_url`) or one of the caller's files (`file_id`). */
function inputImage(part: Record<string, unknown>, partAt: string, content: MessageContent, count: ImageCount): void {
  const unknown = Object.keys(part).find((key) => !INPUT_IMAGE_FIELDS.has(key));
  if (unknown !== undefined) throw unknownField(`${partAt}.${unknown}`);
  const detail = given(part, 'detail');
  if (detail !== undefined && !['auto', 'low', 'high'].includes(detail as string)) {
    throw invalidValue(`${partAt}.detail`, "one of 'auto', 'low' or 'high'");
  }
  const url = given(part, 'image_url');
  const fileId = given(part, 'file_id');
  if ((url === undefined) === (fileId === undefined)) {
    throw invalidValue(`${partAt}.image_url`, 'give either image_url (a data: URL) or file_id');
  }
  count.add(partAt);
  if (url !== undefined) content.images.push(imageFromUrl(url, `${partAt}.image_url`));
  else content.files.push({ fileId: fileIdOf(fileId, `${partAt}.file_id`), as: 'image', param: `${partAt}.file_id` });
}

/** An `input_file` part: text given inline (`file_data` with `filename`) or one of the caller's files (`file_id`). */
function inputFile(part: Record<string, unknown>, partAt: string, content: MessageContent): void {
  const unknown = Object.keys(part).find((key) => !INPUT_FILE_FIELDS.has(key));
  if (unknown !== undefined) throw unknownField(`${partAt}.${unknown}`);
  if (given(part, 'file_url') !== undefined) {
    throw unsupported(`${partAt}.file_url`, 'file URLs are not fetched; send file_data or a file_id');
  }
  const data = given(part, 'file_data');
  const fileId = given(part, 'file_id');
  if ((data === undefined) === (fileId === undefined)) {
    throw invalidValue(`${partAt}.file_data`, 'give either file_data (with filename) or file_id');
  }
  if (fileId !== undefined) {
    content.files.push({ fileId: fileIdOf(fileId, `${partAt}.file_id`), as: 'file', param: `${partAt}.file_id` });
    return;
  }
  const filename = given(part, 'filename');
  if (typeof filename !== 'string' || filename.length === 0 || filename.length > 255) {
    throw invalidValue(`${partAt}.filename`, 'the file name, 1..255 characters (required with file_data)');
  }
  content.fileTexts.push(inputFileText(fileDataBytes(data, `${partAt}.file_data`), filename, `${partAt}.file_data`));
}

/**
 * A message item's content (a string or parts): text parts, and on user messages images
 * (`input_image`) and files (`input_file`). Each problem names its parameter.
 */
function messageContent(content: unknown, at: string, role: InputRole, count: ImageCount): MessageContent {
  const read: MessageContent = { text: '', images: [], files: [], fileTexts: [] };
  if (typeof content === 'string') return { ...read, text: content };
  if (!Array.isArray(content)) {
    throw OpenAIError.invalidRequest(
      `Invalid value for '${at}': a string or an array of input_text parts.`,
      at,
      'invalid_value',
    );
  }
  read.text = content
    .map((part: unknown, j) => {
      const partAt = `${at}[${j}]`;
      if (!isRecord(part) || typeof part.type !== 'string') {
        throw OpenAIError.invalidRequest(`Invalid value for '${partAt}': expected a content part.`, partAt);
      }
      if (part.type === 'input_image' || part.type === 'input_file') {
        if (role !== 'user') {
          throw unsupported(`${partAt}.type`, `${part.type} parts are only supported in user messages`);
        }
        if (part.type === 'input_image') inputImage(part, partAt, read, count);
        else inputFile(part, partAt, read);
        return '';
      }
      if (part.type === 'input_audio') {
        throw unsupported(`${partAt}.type`, 'audio input is not supported');
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
  return read;
}

function messageEntry(item: Record<string, unknown>, at: string, count: ImageCount): ResponseInputEntry {
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
  const read = messageContent(content, `${at}.content`, inputRole, count);
  if (read.text.length > MAX_MESSAGE_CHARS) {
    throw OpenAIError.invalidRequest(
      `Invalid value for '${at}.content': at most ${MAX_MESSAGE_CHARS} characters.`,
      `${at}.content`,
    );
  }
  const text = [read.text, ...read.fileTexts].filter((part) => part.length > 0).join('\n\n');
  return {
    type: 'message',
    role: inputRole,
    text,
    ...(read.images.length > 0 ? { images: read.images } : {}),
    ...(read.files.length > 0 ? { files: read.files } : {}),
  };
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
  const count = new ImageCount();
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
    if (type === null || type === 'message') return [messageEntry(item, at, count)];
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

/**
 * The message entries with the files they name by id (InputFileRef) read through `files`: an
 * `input_image` file becomes an image (a PNG, JPEG, GIF or WebP, checked by its bytes), an
 * `input_file` file its text, inlined as a fenced block. Only the caller's own files can be named;
 * any other id — or a file that is not what the part says — is a 400 naming the part's `file_id`.
 */
export async function resolveInputFiles(
  entries: ResponseInputEntry[],
  userId: string,
  files: Pick<ChatFiles, 'owned' | 'content'>,
): Promise<ResponseInputEntry[]> {
  const refs = entries.flatMap((entry) => (entry.type === 'message' ? (entry.files ?? []) : []));
  if (refs.length === 0) return entries;
  const owned = new Map(
    (await files.owned(userId, [...new Set(refs.map((ref) => ref.fileId.toLowerCase()))])).map((file) => [
      file.id,
      file,
    ]),
  );
  const resolve = async (entry: ResponseInputEntry): Promise<ResponseInputEntry> => {
    if (entry.type !== 'message' || !entry.files) return entry;
    const images = [...(entry.images ?? [])];
    const texts = [entry.text];
    for (const ref of entry.files) {
      const file = owned.get(ref.fileId.toLowerCase());
      if (!file) throw invalidValue(ref.param, 'no such file among yours');
      const tooLarge = ref.as === 'image' ? file.bytes > MAX_IMAGE_BYTES : file.bytes > MAX_INPUT_FILE_CHARS * 4;
      if (tooLarge) throw invalidValue(ref.param, 'the file is too large to give the model');
      const data = await files.content(file.id);
      if (!data) throw invalidValue(ref.param, "the file's content cannot be read");
      if (ref.as === 'file') {
        texts.push(inputFileText(data, file.filename, ref.param));
        continue;
      }
      const type = sniffImageType(data);
      if (!type) throw invalidValue(ref.param, 'the file is not a PNG, JPEG, GIF or WebP image');
      images.push({ mimeType: type, data: data.toString('base64') });
    }
    const { files: _resolved, ...rest } = entry;
    return {
      ...rest,
      text: texts.filter((text) => text.length > 0).join('\n\n'),
      ...(images.length > 0 ? { images } : {}),
    };
  };
  return Promise.all(entries.map(resolve));
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
    else if (entry.role === 'user' && entry.images && entry.images.length > 0) {
      messages.push({ role: 'user', content: entry.text, images: entry.images });
    } else messages.push({ role: entry.role, content: entry.text });
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
