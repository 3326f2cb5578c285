import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServerConfig } from '@agents/core';
import { untilAborted } from './until-aborted';

export interface OpenOptions {
  /** Aborted when the connect deadline passes or the service shuts down. */
  signal: AbortSignal;
  /** A stdio child's stderr, chunk by chunk. */
  onStderr: (chunk: string) => void;
  /** Closes a client that did not get connected, without making the caller wait for it. */
  discard: (client: Client) => void;
}

/**
 * A client connected to the server (initialized), by the server's transport. A streamable-http
 * server that answers the connect with a 4xx is tried again as a legacy HTTP+SSE server, as the
 * SDK's backwards-compatibility recipe does: older servers only speak that. A client that does not
 * get connected is handed to `discard` (which closes it and kills its stdio child).
 */
export async function openClient(
  server: McpServerConfig,
  newClient: () => Client,
  options: OpenOptions,
): Promise<Client> {
  if (server.type === 'stdio') return connect(newClient(), stdioTransport(server, options.onStderr), options);
  const url = new URL(server.url ?? '');
  const requestInit = { headers: server.headers };
  if (server.type === 'sse') return connect(newClient(), new SSEClientTransport(url, { requestInit }), options);
  try {
    return await connect(newClient(), new StreamableHTTPClientTransport(url, { requestInit }), options);
  } catch (error) {
    if (options.signal.aborted || !isClientError(error)) throw error;
    return connect(newClient(), new SSEClientTransport(url, { requestInit }), options);
  }
}

/**
 * The child gets the SDK's short list of harmless variables (PATH, HOME, USER, SHELL, TERM,
 * LOGNAME) and the server's configured `env`: never the service's own environment, which holds its
 * secrets (JWT_SECRET, provider keys, DATABASE_URL). Its stderr is piped to our log, not inherited.
 */
function stdioTransport(server: McpServerConfig, onStderr: (chunk: string) => void): StdioClientTransport {
  const transport = new StdioClientTransport({
    command: server.command ?? '',
    args: server.args,
    env: { ...getDefaultEnvironment(), ...server.env },
    ...(server.cwd !== undefined ? { cwd: server.cwd } : {}),
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer | string) => onStderr(chunk.toString()));
  return transport;
}

async function connect(client: Client, transport: Transport, options: OpenOptions): Promise<Client> {
  try {
    await untilAborted(client.connect(transport, { signal: options.signal }), options.signal);
    return client;
  } catch (error) {
    options.discard(client);
    throw error;
  }
}

/** The server refused the streamable HTTP request itself (404, 405, …): it may be a legacy SSE server. */
function isClientError(error: unknown): boolean {
  return error instanceof StreamableHTTPError && error.code !== undefined && error.code >= 400 && error.code < 500;
}
