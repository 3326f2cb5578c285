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
  /** The files this call may use and the place for files it makes; absent where files are not set up. */
  files?: ToolFiles;
}

/** A stored file as a tool sees it. */
export interface ToolFileRef {
  id: string;
  filename: string;
  mimeType: string;
  bytes: number;
}

/** One excerpt `file_search` found. */
export interface FileExcerpt {
  fileId: string;
  filename: string;
  /** 1-based page, for paged documents (PDF). */
  page: number | null;
  text: string;
  score: number;
}

/**
 * The files side of a tool call, scoped by the run loop to what this call may touch: the agent's
 * `tool_resources` for the tool plus the files attached to the conversation. Tools never see other
 * files, and never the storage.
 */
export interface ToolFiles {
  /** The files of a resource (`file_search` or `code_interpreter`) this call may use. */
  list(resource: 'file_search' | 'code_interpreter'): Promise<ToolFileRef[]>;
  /** The bytes of one of those files (any other id rejects). */
  read(fileId: string): Promise<Buffer>;
  /** Ranked excerpts of the `file_search` files for a query (full-text search). */
  search(query: string, limit: number): Promise<FileExcerpt[]>;
  /** Stores a file the tool made, owned by the user and attached to the conversation. */
  save(file: { filename: string; mimeType: string; data: Buffer }): Promise<ToolFileRef>;
}

/** One source a tool consulted, shown to the user and numbered for the model. */
export interface Citation {
  /** 1-based, as the model was told ("[1]"). */
  index: number;
  title: string;
  /** A web page, or the file's download path (`/api/files/:id/content`). */
  url: string;
  /** The cited file and page, for `file_search`. */
  fileId?: string;
  page?: number | null;
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
  | { type: 'resource'; uri: string; name?: string; mimeType?: string; text?: string }
  /** A file the tool stored (an image it generated, a file code wrote): downloadable by its id. */
  | { type: 'file'; fileId: string; filename: string; mimeType: string; bytes: number };

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
