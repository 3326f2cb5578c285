import type { McpTransport } from '@agents/core';
import type { ServerTool } from '../tool';

/** How one configured MCP server stands, for `GET /api/mcp/servers`. */
export interface McpServerState {
  name: string;
  transport: McpTransport;
  /** `idle`: not connected yet (connections are opened on first use). */
  state: 'idle' | 'connecting' | 'connected' | 'failed';
  /** Tools discovered at the last successful listing. */
  toolCount: number;
  /** Why the last connection or listing failed (shown to admins only). */
  lastError?: string;
  /** ISO time of the last successful connection. */
  connectedAt?: string;
}

/** A server's tools as the registry sees them. */
export interface McpServerTools {
  /** Its tools as `<tool>_mcp_<server>` ServerTools; those of the last listing when it is down. */
  tools: ServerTool[];
  /** Whether the server answered just now; tools of a server that is down fail as tool errors. */
  available: boolean;
}
