import { Module } from '@nestjs/common';
import { McpManager } from './mcp/mcp-manager';
import { ToolRegistry } from './tool-registry';

/**
 * The tool registry and what it runs. Imported by the agents (validation and the listing) and by
 * the worker side (the run loop); each process keeps its own MCP connections, opened on first use.
 */
@Module({ providers: [ToolRegistry, McpManager], exports: [ToolRegistry, McpManager] })
export class ToolsModule {}
