import { ApiProperty } from '@nestjs/swagger';
import { MCP_TRANSPORTS, type McpTransport } from '@agents/core';

const MCP_SERVER_STATES = ['idle', 'connecting', 'connected', 'failed'] as const;

/** One MCP server of the config file, as this api process is connected to it. */
export class McpServerDto {
  /** Its key in the config file's `mcpServers`; its tools are named `<tool>_mcp_<name>`. @example "tickets" */
  name!: string;

  /** How the service reaches it: a child process (stdio) or a URL. @example "stdio" */
  @ApiProperty({ enum: MCP_TRANSPORTS })
  transport!: McpTransport;

  /**
   * `idle` until first used (connections open lazily), `connecting`, `connected`, or `failed` (its
   * tools then fail as tool errors until a later use reconnects). @example "connected"
   */
  @ApiProperty({ enum: MCP_SERVER_STATES })
  state!: (typeof MCP_SERVER_STATES)[number];

  /** Tools it offered at its last successful listing. @example 12 */
  toolCount!: number;

  /** When it last connected (ISO 8601); absent if it never has. @example "2026-11-30T17:45:00.000Z" */
  connectedAt?: string;

  /**
   * Why its last connection or listing failed; absent after a success. Only ADMIN users get it: it
   * may name hosts, paths and what a server printed on stderr. @example "spawn mcp-tickets ENOENT"
   */
  lastError?: string;
}

export class McpServerListResponseDto {
  /** In the order of the config file. */
  servers!: McpServerDto[];
}
