import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@agents/core';
import { McpConnection } from './mcp-connection';
import type { McpServerState, McpServerTools } from './mcp-types';

// The types live apart so that the connection can use them without importing this file back.
export type { McpServerState, McpServerTools } from './mcp-types';

/**
 * The MCP servers of the config file: connections opened lazily, shared by every generation of
 * the process, reconnected after a failure, closed on shutdown.
 */
@Injectable()
export class McpManager implements OnApplicationShutdown {
  private readonly logger = new Logger(McpManager.name);
  private readonly connections: ReadonlyMap<string, McpConnection>;

  constructor(private readonly config: AppConfig) {
    this.connections = new Map(
      config.mcpServers.map((server) => [server.name, new McpConnection(server, config.tools.timeoutMs, this.logger)]),
    );
  }

  /** The configured servers' names. */
  serverNames(): string[] {
    return this.config.mcpServers.map((server) => server.name);
  }

  /** Connects (once) and lists the server's tools; never throws: a server that is down is `available: false`. */
  async toolsOf(server: string): Promise<McpServerTools> {
    const connection = this.connections.get(server);
    return connection ? connection.listing() : { tools: [], available: false };
  }

  states(): McpServerState[] {
    return [...this.connections.values()].map((connection) => connection.describe());
  }

  /** Closes every client; stdio servers' children are ended (the SDK escalates to SIGKILL). */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.connections.values()].map((connection) => connection.close()));
  }
}
