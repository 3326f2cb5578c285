import type { ContentPart, MessageAttachment } from '@agents/chat';
import { mcpToolId, parseMcpToolId } from '@agents/tools';
import type {
  ResponseFunctionWebSearch,
  ResponseOutputItem,
  ResponseOutputMessage,
} from 'openai/resources/responses/responses';

/*
 * The Responses API's output items of one answer, built from its content parts (the way the worker
 * stores them: text, reasoning, and the server-side tool calls with their output). The streamed
 * events (ResponseEvents) and a non-streamed response take their items from here, so both show the
 * same answer the same way.
 *
 * A server-side tool call becomes the item of OpenAI's own hosted tool, never a `function_call`
 * (which asks the client to run the call and send the result back):
 * - `web_search` → `web_search_call`, its sources from the call's citations attachment;
 * - the image tool (`dalle`, LibreChat's id, or its alias `image_gen`) → `image_generation_call`
 *   with `result: null`: the image is a file in the file store (the call's `file` attachment, which
 *   the client downloads by its id), not base64 carried in every response, event and stored turn;
 * - an MCP tool `<tool>_mcp_<server>` → `mcp_call` with `server_label: <server>`, `name: <tool>`;
 * - any other tool (calculator, …) → `mcp_call` with `server_label: "agents"`: this service is the
 *   server that hosts it.
 */

/** A server-side tool call as a content part holds it (its output once it ran). */
export type ToolCall = Extract<ContentPart, { type: 'tool_call' }>['tool_call'];
type McpCallItem = ResponseOutputItem.McpCall;
type ImageGenerationCallItem = ResponseOutputItem.ImageGenerationCall;

/** The built-in web search tool's id, as the agent enables it and the model calls it. */
export const WEB_SEARCH_TOOL = 'web_search';

/** The built-in image generation tool's ids: LibreChat's `dalle` and its alias. */
export const IMAGE_GENERATION_TOOLS: readonly string[] = ['dalle', 'image_gen'];

/** The `server_label` of the tools this service hosts itself (everything but MCP servers' tools). */
export const AGENTS_SERVER_LABEL = 'agents';

/** What a tool call is shown as: a web search, or a call to a tool of an MCP server (this service's own, `agents`). */
export type HostedTool =
  { type: 'web_search' } | { type: 'image_generation' } | { type: 'mcp'; serverLabel: string; name: string };

export function hostedToolOf(toolId: string): HostedTool {
  if (toolId === WEB_SEARCH_TOOL) return { type: 'web_search' };
  if (IMAGE_GENERATION_TOOLS.includes(toolId)) return { type: 'image_generation' };
  const mcp = parseMcpToolId(toolId);
  return mcp
    ? { type: 'mcp', serverLabel: mcp.server, name: mcp.tool }
    : { type: 'mcp', serverLabel: AGENTS_SERVER_LABEL, name: toolId };
}

/** The tool id an `mcp_call` item stands for: the inverse of {@link hostedToolOf}. */
export function toolIdOf(serverLabel: string, name: string): string {
  return serverLabel === AGENTS_SERVER_LABEL ? name : mcpToolId(name, serverLabel);
}

/** The worker's mark of a call that failed: its output (what the model read) starts so. */
export const isFailedOutput = (output: string): boolean => output.startsWith('Error:');

/**
 * How far the answer got, which settles the status of what is unfinished in it: `in_progress` while
 * it streams; when it ended, a call that never got its result did not complete, and a message that
 * is last in a cut (`incomplete`) or failed answer was cut short.
 */
export type AnswerEnding = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export type ToolItemType = 'web_search_call' | 'image_generation_call' | 'mcp_call';
type ItemType = 'message' | ToolItemType;
const ID_PREFIXES: Record<ItemType, string> = {
  message: 'msg',
  web_search_call: 'ws',
  image_generation_call: 'ig',
  mcp_call: 'mcp',
};

/** The output item a call of the tool `toolId` is shown as. */
export function toolItemTypeOf(toolId: string): ToolItemType {
  const tool = hostedToolOf(toolId);
  return tool.type === 'web_search'
    ? 'web_search_call'
    : tool.type === 'image_generation'
      ? 'image_generation_call'
      : 'mcp_call';
}

/**
 * The id of the output item at `index` of the response `resp_<key>`: `msg_<key>` for a first
 * message (as before responses had several items), else `<msg|ws|ig|mcp>_<key>_<index>`. An id names
 * its response, so a stored item is found by the response's key (responseIdOfItem), and it depends
 * only on the item's place: the streamed and the non-streamed output of one answer agree.
 */
export function outputItemId(key: string, type: ItemType, index: number): string {
  const prefix = ID_PREFIXES[type];
  return index === 0 ? `${prefix}_${key}` : `${prefix}_${key}_${index}`;
}

export function messageItem(id: string, text: string, status: ResponseOutputMessage['status']): ResponseOutputMessage {
  return {
    id,
    type: 'message',
    role: 'assistant',
    status,
    content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
}

/** A message as it is announced: no part yet, as at OpenAI (the part follows in its own event). */
export function openingMessageItem(id: string): ResponseOutputMessage {
  return { id, type: 'message', role: 'assistant', status: 'in_progress', content: [] };
}

/**
 * A tool call's item. `pending`: the answer is still streaming, so a call without output is in
 * progress rather than unfinished.
 */
export function toolCallItem(
  id: string,
  call: ToolCall,
  attachments: readonly MessageAttachment[],
  pending: boolean,
): ResponseFunctionWebSearch | ImageGenerationCallItem | McpCallItem {
  const tool = hostedToolOf(call.name);
  const output = call.output;
  const failed = output !== undefined && isFailedOutput(output);
  if (tool.type === 'web_search') {
    return {
      type: 'web_search_call',
      id,
      status: output === undefined ? (pending ? 'in_progress' : 'failed') : failed ? 'failed' : 'completed',
      action: searchAction(call, attachments),
    };
  }
  if (tool.type === 'image_generation') {
    return {
      type: 'image_generation_call',
      id,
      // OpenAI's statuses have no `incomplete`: a call the answer ended without is `failed`.
      status: output === undefined ? (pending ? 'in_progress' : 'failed') : failed ? 'failed' : 'completed',
      // The image is the call's file attachment (see the top of this file); the schema allows null.
      result: null,
    };
  }
  return {
    type: 'mcp_call',
    id,
    server_label: tool.serverLabel,
    name: tool.name,
    arguments: call.args,
    output: output ?? null,
    // OpenAI's schema types `error` as an error object and its SDK as a string; null is valid for
    // both. A failed call's words are its output (as the model read them), its status `failed`.
    error: null,
    status: output === undefined ? (pending ? 'in_progress' : 'incomplete') : failed ? 'failed' : 'completed',
  };
}

type Block = { type: 'text'; text: string } | { type: 'tool'; call: ToolCall };

/** Content parts → a message per run of text, an item per tool call; reasoning is not output here. */
function blocksOf(content: readonly ContentPart[]): Block[] {
  const blocks: Block[] = [];
  for (const part of content) {
    if (part.type === 'think') continue;
    const last = blocks.at(-1);
    if (part.type === 'tool_call') blocks.push({ type: 'tool', call: part.tool_call });
    else if (last?.type === 'text') last.text += part.text;
    else blocks.push({ type: 'text', text: part.text });
  }
  return blocks;
}

/**
 * The output items of an answer: its messages (the text before a tool call and the text after it
 * are two) and its tool calls, in order. A finished answer with no text at all still has its (empty)
 * message, as a response without tools always had.
 */
export function outputItemsOf(
  content: readonly ContentPart[],
  attachments: readonly MessageAttachment[],
  key: string,
  ending: AnswerEnding,
): ResponseOutputItem[] {
  const items = blocksOf(content).map((block, index): ResponseOutputItem => {
    if (block.type === 'text') return messageItem(outputItemId(key, 'message', index), block.text, 'completed');
    return toolCallItem(
      outputItemId(key, toolItemTypeOf(block.call.name), index),
      block.call,
      attachments,
      ending === 'in_progress',
    );
  });
  const ended = ending === 'completed' || ending === 'incomplete';
  if (ended && !items.some((item) => item.type === 'message')) {
    items.push(messageItem(outputItemId(key, 'message', items.length), '', 'completed'));
  }
  const last = items.at(-1);
  if (last?.type === 'message' && ending !== 'completed') {
    last.status = ending === 'in_progress' ? 'in_progress' : 'incomplete';
  }
  return items;
}

/** All the text of the answer's messages: the response's `output_text`. */
export function outputTextOf(items: readonly ResponseOutputItem[]): string {
  return items
    .flatMap((item) => (item.type === 'message' ? item.content : []))
    .map((part) => (part.type === 'output_text' ? part.text : ''))
    .join('');
}

/** What a web search did: its query (from the call's arguments, else its citations) and the sources it found. */
function searchAction(call: ToolCall, attachments: readonly MessageAttachment[]): ResponseFunctionWebSearch.Search {
  const citations = attachments.filter((a) => a.type === 'citations' && a.toolCallId === call.id);
  const query = queryOf(call.args) ?? citations.find((a) => a.query !== undefined)?.query;
  const urls = new Set<string>();
  for (const citation of citations.flatMap((a) => a.citations ?? [])) {
    const url = sourceUrl(citation.url);
    if (url !== undefined) urls.add(url);
  }
  return {
    type: 'search',
    // `query` is OpenAI's deprecated spelling of `queries`; clients read either.
    ...(query !== undefined ? { query, queries: [query] } : {}),
    ...(urls.size > 0 ? { sources: [...urls].map((url) => ({ type: 'url' as const, url })) } : {}),
  };
}

/** The `query` of a web search's JSON arguments, if they are complete and have one. */
function queryOf(args: string): string | undefined {
  const parsed = jsonObjectOf(args);
  return typeof parsed?.query === 'string' ? parsed.query : undefined;
}

/**
 * `text` as a JSON object, or undefined while it is not one. A JSON object is only complete at its
 * closing brace, so arguments streamed so far that parse are all the arguments the call has.
 */
export function jsonObjectOf(text: string): Record<string, unknown> | undefined {
  if (!text.trimEnd().endsWith('}')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Characters RFC 3986 allows in a path and query (and `%` of what is already encoded). */
const NOT_IN_URI = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/g;
const percentEncoded = (text: string): string =>
  text.replace(NOT_IN_URI, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

/**
 * A citation's URL as a source: http(s) only, written as an RFC 3986 URI (OpenAI's schema says
 * `format: uri`, and a strict client checks it). WHATWG URL parsing encodes most of what a URI may
 * not hold but leaves a few characters (`|`, `^`, `[`…) in paths and queries; those are encoded too.
 * Credentials in a URL are dropped.
 */
export function sourceUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const fragment = url.hash ? `#${percentEncoded(url.hash.slice(1))}` : '';
  return `${url.origin}${percentEncoded(url.pathname + url.search)}${fragment}`;
}
