/*
 * What a server-side tool is to the run loop: a named function with a JSON Schema the model sees,
 * and a `call` the worker makes with the model's arguments. Built-ins (calculator, web search) and
 * every MCP server's tools take this one shape, so the loop never knows where a tool lives.
 */

/** A JSON Schema object (`{type: "object", properties, required}`), as sent to the provider. */
export type JsonSchema = Record<string, unknown>;

/** Who a call runs for and how long it may take. */
export interface ToolCallContext {
  /**
   * Aborted when the user aborts, the call's timeout passes, or the generation's budget ends. A
   * tool must stop its work (and free what it holds) promptly when it fires.
   */
  signal: AbortSignal;
  userId: string;
  agentId: string;
  /** Null for a stateless completion (the OpenAI-compatible API). */
  conversationId: string | null;
  /** The response message the call belongs to. */
  messageId: string;
  toolCallId: string;
}

/** One source a tool consulted, shown to the user and numbered for the model. */
export interface Citation {
  /** 1-based, as the model was told ("[1]"). */
  index: number;
  title: string;
  url: string;
  snippet?: string;
  /** Where it came from: the search engine, the file, … */
  source?: string;
  publishedAt?: string;
}

/** What a call hands the user beside the model's text: citations, images, resources. */
export type ToolAttachment =
  | { type: 'citations'; query?: string; citations: Citation[] }
  /** `data` is base64. */
  | { type: 'image'; mimeType: string; data: string; name?: string }
  | { type: 'resource'; uri: string; name?: string; mimeType?: string; text?: string };

export interface ToolResult {
  /** What the model reads. */
  output: string;
  /** The call failed; `output` says why, in words fit for the model and the user. */
  isError?: boolean;
  attachments?: ToolAttachment[];
}

/**
 * A failure a tool reports on purpose (bad arguments, a backend's refusal): its message reaches the
 * model and the user as the call's error result. Anything else thrown is reported generically.
 */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

/** A tool as `GET /api/agents/tools` lists it. */
export interface ToolDescriptor {
  /** What an agent enables, and the function name the model calls. */
  id: string;
  name: string;
  description: string;
  parameters: JsonSchema;
  source: 'builtin' | 'mcp';
  /** The MCP server, for an MCP tool. */
  server?: string;
}

export interface ServerTool extends ToolDescriptor {
  /** Overrides the service's TOOL_TIMEOUT_MS for this tool (an MCP server's callTimeoutMs). */
  timeoutMs?: number;
  /**
   * Runs one call. `args` is the model's arguments, parsed (an object; the tool validates it).
   * Resolves with the result, error results included; throws only on failures it did not expect.
   */
  call(args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult>;
}

/** The suffix that marks an MCP tool: `<tool>_mcp_<server>` (LibreChat's naming). */
export const MCP_DELIMITER = '_mcp_';

/** The id that enables every tool of one MCP server (LibreChat's spelling). */
export const MCP_ALL_TOOLS_PREFIX = 'sys__all__sys';

export function mcpToolId(tool: string, server: string): string {
  return `${tool}${MCP_DELIMITER}${server}`;
}

/** `<tool>_mcp_<server>` → its parts; the server is after the last delimiter (server names hold none). */
export function parseMcpToolId(id: string): { tool: string; server: string } | undefined {
  const at = id.lastIndexOf(MCP_DELIMITER);
  if (at <= 0) return undefined;
  const server = id.slice(at + MCP_DELIMITER.length);
  return server ? { tool: id.slice(0, at), server } : undefined;
}
