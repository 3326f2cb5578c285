import type { Logger } from '@nestjs/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '@agents/core';
import type { ServerTool, ToolCallContext, ToolResult } from '../tool';
import type { McpServerState, McpServerTools } from './mcp-types';
import { bounded, toToolResult } from './mcp-result';
import { safeMcpToolId } from './mcp-tool-id';
import { openClient } from './mcp-transport';
import { reasonOf, untilAborted } from './until-aborted';

/** The first retry after a failure waits this long; each further failure doubles it, up to the max. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 10_000;
/** A connected server's tools are listed again when a caller asks and the listing is this old. */
const LISTING_TTL_MS = 60_000;
/** Listing pages read at most (a server that pages forever must not hold a caller). */
const MAX_LIST_PAGES = 20;
/** Bounds what a model reads about a tool, and how much of a child's stderr an error quotes. */
const MAX_DESCRIPTION = 1_024;
const STDERR_TAIL = 2_000;
/** How long the liveness check after a timed-out call waits for the server's pong. */
const PING_TIMEOUT_MS = 5_000;

const CLIENT_INFO = { name: 'agents-api', version: '1.0.0' };

/**
 * One configured MCP server and the one client every generation of the process shares: opened on
 * first use, its tools listed and cached, given up after a transport failure and opened again on
 * the next use (not more often than the backoff allows, so a dead server is not hammered), closed
 * on shutdown. Nothing here throws at a caller: a server that is down is an error result.
 */
export class McpConnection {
  private state: McpServerState['state'] = 'idle';
  private client?: Client;
  private opening?: Promise<Client>;
  /** Aborts the connect in progress (its deadline, or shutdown). */
  private stopOpening?: AbortController;
  private tools: ServerTool[] = [];
  private listedAt = 0;
  private relisting?: Promise<void>;
  /** For admins (GET /api/mcp/servers): the failure with its causes and the child's stderr. */
  private lastError?: string;
  /** For the model and the user, in error results: the failure's own message only. */
  private lastReason?: string;
  private connectedAt?: Date;
  private failures = 0;
  private retryAt = 0;
  private closed = false;
  private stderrTail = '';
  /** Clients being closed in the background; shutdown waits for them (and their children). */
  private readonly closing = new Set<Promise<void>>();
  /** Clients given up: what their transports still report is noise. */
  private readonly discarded = new WeakSet<Client>();

  constructor(
    private readonly server: McpServerConfig,
    /** TOOL_TIMEOUT_MS, for a server without its own callTimeoutMs. */
    private readonly defaultCallTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** Connects if needed; the tools of the last good listing, and whether the server answers now. */
  async listing(): Promise<McpServerTools> {
    try {
      const client = await this.connected();
      await this.relistIfStale(client);
      return { tools: this.tools, available: this.client === client };
    } catch {
      return { tools: this.tools, available: false };
    }
  }

  describe(): McpServerState {
    return {
      name: this.server.name,
      transport: this.server.type,
      state: this.state,
      toolCount: this.tools.length,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.connectedAt ? { connectedAt: this.connectedAt.toISOString() } : {}),
    };
  }

  /** Stops a connect in progress and closes the client (a stdio child is killed); for good. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopOpening?.abort(new Error('the service is shutting down'));
    await this.opening?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    this.state = 'idle';
    if (client) this.discard(client);
    await Promise.all(this.closing);
  }

  /**
   * One tool call. Error results, never a throw, for what a server does wrong or not at all: its
   * error result, a refusal, a timeout, a transport failure (the connection is then dropped, so the
   * next call opens a new one). An abort answers at once; the SDK tells the server to cancel.
   */
  private async call(tool: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    const timeout = this.server.callTimeoutMs ?? this.defaultCallTimeoutMs;
    let client: Client;
    try {
      client = await untilAborted(this.connected(), context.signal);
    } catch (error) {
      return context.signal.aborted ? this.stopped(tool, context.signal) : this.unavailable(error);
    }
    try {
      const answer = await client.callTool({ name: tool, arguments: args }, undefined, {
        signal: context.signal,
        timeout,
      });
      return toToolResult(answer);
    } catch (error) {
      if (context.signal.aborted) return this.stopped(tool, context.signal);
      if (hasCode(error, ErrorCode.RequestTimeout)) {
        this.checkAlive(client);
        return {
          isError: true,
          output: `Error: tool "${tool}" of MCP server "${this.server.name}" did not answer within ${timeout} ms`,
        };
      }
      // The server's own refusal (no such tool, bad arguments) or a result the SDK rejected: the
      // connection is fine.
      if (error instanceof McpError && !hasCode(error, ErrorCode.ConnectionClosed)) {
        return { isError: true, output: `Error: ${error.message}` };
      }
      this.fail(client, error);
      return this.unavailable(error);
    }
  }

  /** The shared client: the open one, the attempt in progress, or a new attempt once the backoff allows. */
  private connected(): Promise<Client> {
    if (this.closed) return Promise.reject(new Error('the service is shutting down'));
    if (this.client) return Promise.resolve(this.client);
    if (this.opening) return this.opening;
    if (this.state === 'failed' && Date.now() < this.retryAt) {
      return Promise.reject(new Error(this.lastReason ?? 'the last connection failed'));
    }
    this.opening = this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** Connects and lists the tools, both within connectTimeoutMs. */
  private async open(): Promise<Client> {
    this.state = 'connecting';
    this.stderrTail = '';
    const stop = new AbortController();
    this.stopOpening = stop;
    const ms = this.server.connectTimeoutMs;
    const timer = setTimeout(() => stop.abort(new Error(`no answer within ${ms} ms (connectTimeoutMs)`)), ms);
    let client: Client | undefined;
    try {
      client = await openClient(this.server, () => this.newClient(), {
        signal: stop.signal,
        onStderr: (chunk) => this.stderr(chunk),
        discard: (half) => this.discard(half),
      });
      this.setTools(await untilAborted(this.listTools(client, stop.signal), stop.signal));
      if (this.closed) throw new Error('the service is shutting down');
      this.client = client;
      this.state = 'connected';
      this.connectedAt = new Date();
      this.lastError = undefined;
      this.lastReason = undefined;
      this.failures = 0;
      this.logger.log(`MCP server "${this.server.name}" connected (${this.tools.length} tools)`);
      return client;
    } catch (error) {
      if (client) this.discard(client);
      this.recordFailure(error, 'connect');
      throw error;
    } finally {
      clearTimeout(timer);
      this.stopOpening = undefined;
    }
  }

  private newClient(): Client {
    const client: Client = new Client(CLIENT_INFO, {
      listChanged: {
        tools: {
          autoRefresh: false,
          debounceMs: 100,
          onChanged: () => {
            if (this.client === client) void this.relist(client);
          },
        },
      },
    });
    client.onclose = () => {
      if (this.client === client) this.fail(client, new Error('the connection closed'));
    };
    client.onerror = (error) => {
      if (!this.discarded.has(client)) this.logger.debug(`MCP server "${this.server.name}": ${error.message}`);
    };
    return client;
  }

  /** Every page of the server's tools. */
  private async listTools(client: Client, signal?: AbortSignal): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const listed = await client.listTools(cursor ? { cursor } : undefined, {
        timeout: this.server.connectTimeoutMs,
        ...(signal ? { signal } : {}),
      });
      tools.push(...listed.tools);
      cursor = listed.nextCursor;
      if (!cursor) break;
    }
    return tools;
  }

  private async relistIfStale(client: Client): Promise<void> {
    if (Date.now() - this.listedAt > LISTING_TTL_MS) await this.relist(client);
  }

  /** Lists the tools again (one listing at a time); a transport failure drops the connection. */
  private relist(client: Client): Promise<void> {
    this.relisting ??= this.listTools(client)
      .then((tools) => this.setTools(tools))
      .catch((error: unknown) => {
        if (error instanceof McpError && !hasCode(error, ErrorCode.ConnectionClosed)) {
          this.logger.warn(`MCP server "${this.server.name}" could not list its tools: ${messageOf(error)}`);
        } else {
          this.fail(client, error);
        }
      })
      .finally(() => (this.relisting = undefined));
    return this.relisting;
  }

  private setTools(listed: Tool[]): void {
    const seen = new Set<string>();
    const tools: ServerTool[] = [];
    for (const tool of listed) {
      const serverTool = this.toServerTool(tool);
      if (seen.has(serverTool.id)) {
        this.logger.warn(
          `MCP server "${this.server.name}": tool "${tool.name}" skipped, its id ${serverTool.id} is taken`,
        );
        continue;
      }
      seen.add(serverTool.id);
      tools.push(serverTool);
    }
    this.tools = tools;
    this.listedAt = Date.now();
  }

  private toServerTool(tool: Tool): ServerTool {
    const { $schema: _dialect, ...schema } = tool.inputSchema;
    return {
      id: safeMcpToolId(tool.name, this.server.name),
      name: tool.title ?? tool.annotations?.title ?? tool.name,
      description: bounded(
        tool.description ?? `Tool "${tool.name}" of the MCP server "${this.server.name}"`,
        MAX_DESCRIPTION,
      ),
      // Some providers refuse an object schema without `properties`, and `$schema` is noise to them.
      parameters: { ...schema, properties: schema.properties ?? {} },
      source: 'mcp',
      server: this.server.name,
      ...(this.server.callTimeoutMs !== undefined ? { timeoutMs: this.server.callTimeoutMs } : {}),
      call: (args, context) => this.call(tool.name, args, context),
    };
  }

  /**
   * A call that timed out may mean a hung server: one ping tells. A server that cannot answer a ping
   * is dropped, so the next call starts afresh instead of waiting out another timeout.
   */
  private checkAlive(client: Client): void {
    client
      .ping({ timeout: Math.min(this.server.connectTimeoutMs, PING_TIMEOUT_MS) })
      .catch((error: unknown) => this.fail(client, error));
  }

  /** Drops the connection `client` belongs to (unless it was dropped already). */
  private fail(client: Client, error: unknown): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.recordFailure(error, 'connection');
    this.discard(client);
  }

  /** Closes `client` in the background, tracked so that shutdown can wait for it. */
  private discard(client: Client): void {
    this.discarded.add(client);
    const closed = client.close().catch(() => undefined);
    this.closing.add(closed);
    void closed.finally(() => this.closing.delete(closed));
  }

  private recordFailure(error: unknown, during: 'connect' | 'connection'): void {
    this.failures += 1;
    this.retryAt = Date.now() + Math.min(RETRY_MIN_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
    this.state = this.closed ? 'idle' : 'failed';
    const stderr = this.stderrTail.trim();
    this.lastReason = reasonFor(error);
    this.lastError = bounded(`${messageOf(error)}${stderr ? ` (stderr: ${stderr})` : ''}`, STDERR_TAIL);
    if (!this.closed) this.logger.warn(`MCP server "${this.server.name}" ${during} failed: ${this.lastError}`);
  }

  private stderr(chunk: string): void {
    this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL);
    for (const line of chunk.split('\n')) {
      if (line.trim()) this.logger.debug(`MCP server "${this.server.name}" stderr: ${line}`);
    }
  }

  /** What a call reports about a server that is down; the details are for admins (lastError). */
  private unavailable(error: unknown): ToolResult {
    return { isError: true, output: `Error: MCP server "${this.server.name}" is unavailable: ${reasonFor(error)}` };
  }

  private stopped(tool: string, signal: AbortSignal): ToolResult {
    return {
      isError: true,
      output: `Error: the call to tool "${tool}" of MCP server "${this.server.name}" was stopped: ${reasonOf(signal).message}`,
    };
  }
}

function hasCode(error: unknown, code: ErrorCode): boolean {
  return error instanceof McpError && (error.code as ErrorCode) === code;
}

/** An error's own message, without the causes that may name hosts and addresses. */
function reasonFor(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici's "fetch failed" hides the reason (ECONNREFUSED, …) in its cause.
  const cause: unknown = error.cause;
  return cause instanceof Error && cause.message ? `${error.message} (${cause.message})` : error.message;
}
