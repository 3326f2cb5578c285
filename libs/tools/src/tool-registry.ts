import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@agents/core';
import { join } from 'node:path';
import { CalculatorTool } from './calculator/calculator.tool';
import { CodeInterpreterTool } from './code-interpreter/code-interpreter.tool';
import { FileSearchTool } from './file-search/file-search.tool';
import { ImageGenerationTool } from './image-generation/image-generation.tool';
import { McpManager } from './mcp/mcp-manager';
import { MCP_ALL_TOOLS_PREFIX, mcpToolId, parseMcpToolId, type ServerTool, type ToolDescriptor } from './tool';
import { WebSearchTool } from './web-search/web-search.tool';

/** A tool as `GET /api/agents/tools` lists it: what it is, and whether it can run right now. */
export interface ToolListing extends ToolDescriptor {
  /** False for an MCP server's tools while the server is down: enabling them still works. */
  available: boolean;
}

/** Other spellings of a tool's id (LibreChat's), accepted wherever an id is. */
export const TOOL_ALIASES: Readonly<Record<string, string>> = {
  execute_code: 'code_interpreter',
  image_gen: 'dalle',
};

/**
 * Built-in tools that run only when this deployment is set up for them: known names, so that
 * enabling one says what is missing rather than "unknown".
 */
const NEEDS_SETUP: Readonly<Record<string, string>> = {
  web_search: 'this deployment has no search backend (webSearch in the config file)',
  dalle: 'this deployment has no image model or OpenAI endpoint (IMAGE_MODEL, OPENAI_API_KEY or OPENAI_BASE_URL)',
  code_interpreter: 'this deployment has no sandboxed Python (CODE_INTERPRETER_PYTHON, bubblewrap)',
};

/** One problem with a list of tool ids, by position. */
export interface ToolIdProblem {
  index: number;
  message: string;
}

/**
 * The tools this deployment can run, from one place: the built-ins that are configured
 * (calculator always; web_search with a search backend) and every tool of the configured MCP
 * servers. The agents' validation, the tool listing and the worker's run loop all ask it.
 */
@Injectable()
export class ToolRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(ToolRegistry.name);
  private readonly calculator = new CalculatorTool();
  private readonly builtins: ServerTool[];
  /** Settles once the built-ins that need a check (the code interpreter's sandbox) are known. */
  private readonly ready: Promise<void>;

  constructor(
    config: AppConfig,
    private readonly mcp: McpManager,
  ) {
    this.builtins = [
      this.calculator,
      new FileSearchTool(),
      ...(config.webSearch ? [new WebSearchTool(config.webSearch)] : []),
      ...(config.imageModel && (config.openai.apiKey || config.openai.baseURL)
        ? [new ImageGenerationTool(config.openai, config.imageModel)]
        : []),
    ];
    this.ready = this.addCodeInterpreter(config);
  }

  /** The code interpreter is offered only where sandboxed Python runs (checked once, in the background). */
  private async addCodeInterpreter(config: AppConfig): Promise<void> {
    const settings = config.codeInterpreter;
    if (!settings.python) return;
    const workRoot = join(config.dataDir, 'code');
    try {
      const probe = await CodeInterpreterTool.diagnose(settings, { workRoot });
      if (probe.available) this.builtins.push(new CodeInterpreterTool(settings, { workRoot }));
      else this.logger.warn(`The code interpreter is not offered: ${probe.reason ?? 'its sandbox does not run here'}`);
    } catch (err) {
      this.logger.warn(`The code interpreter is not offered: ${(err as Error).message}`);
    }
  }

  /**
   * Everything an agent may enable: the built-ins, then per MCP server an entry enabling all its
   * tools and each tool it listed (connecting to the servers not yet connected).
   */
  async catalog(): Promise<ToolListing[]> {
    await this.ready;
    const listings: ToolListing[] = this.builtins.map((tool) => ({ ...describe(tool), available: true }));
    const servers = await Promise.all(
      this.mcp.serverNames().map(async (server) => ({ server, ...(await this.mcp.toolsOf(server)) })),
    );
    for (const { server, tools, available } of servers) {
      listings.push({
        id: mcpToolId(MCP_ALL_TOOLS_PREFIX, server),
        name: `${server} (all tools)`,
        description: `Every tool of the MCP server "${server}", as it lists them when the agent runs`,
        parameters: { type: 'object', properties: {} },
        source: 'mcp',
        server,
        available,
      });
      for (const tool of tools) listings.push({ ...describe(tool), available });
    }
    return listings;
  }

  /**
   * Why the given ids cannot be enabled, by position: unknown ids, tools this deployment does not
   * run, an MCP server that does not exist or (while it answers) has no such tool. An MCP server
   * that is down does not block saving: its tools are taken on trust.
   */
  async problems(ids: readonly string[]): Promise<ToolIdProblem[]> {
    await this.ready;
    const problems: ToolIdProblem[] = [];
    const servers = new Set(this.mcp.serverNames());
    await Promise.all(
      ids.map(async (id, index) => {
        const message = await this.problemWith(id, servers);
        if (message) problems.push({ index, message });
      }),
    );
    return problems.sort((a, b) => a.index - b.index);
  }

  /**
   * The tools a run offers the model, for an agent's enabled ids: duplicates folded, a whole MCP
   * server expanded, ids this deployment no longer runs skipped (logged). Tools of an MCP server
   * that is down are those of its last listing: their calls fail as tool errors.
   */
  async forRun(ids: readonly string[]): Promise<ServerTool[]> {
    await this.ready;
    const chosen = new Map<string, ServerTool>();
    const serverTools = new Map<string, Promise<ServerTool[]>>();
    const toolsOf = (server: string): Promise<ServerTool[]> => {
      let tools = serverTools.get(server);
      if (!tools) {
        tools = this.mcp.toolsOf(server).then((listed) => listed.tools);
        serverTools.set(server, tools);
      }
      return tools;
    };
    const configured = new Set(this.mcp.serverNames());
    for (const id of ids) {
      const builtin = this.builtin(id);
      if (builtin) {
        chosen.set(builtin.id, builtin);
        continue;
      }
      const mcp = parseMcpToolId(id);
      if (mcp && configured.has(mcp.server)) {
        const tools = await toolsOf(mcp.server);
        const picked = mcp.tool === MCP_ALL_TOOLS_PREFIX ? tools : tools.filter((tool) => tool.id === id);
        for (const tool of picked) chosen.set(tool.id, tool);
        if (picked.length === 0) this.logger.warn(`Tool ${id} is not offered: its MCP server has not listed it`);
        continue;
      }
      this.logger.warn(`Tool ${id} is not offered: this deployment does not run it`);
    }
    return [...chosen.values()];
  }

  /**
   * Readies what the first tool call would otherwise wait for (the calculator's process): for a
   * process that runs generations, at its start.
   */
  warmUp(): void {
    this.calculator.warmUp();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.calculator.close();
  }

  /** The built-in an id (or its alias) names, when this deployment runs it. */
  private builtin(id: string): ServerTool | undefined {
    const canonical = TOOL_ALIASES[id] ?? id;
    return this.builtins.find((tool) => tool.id === canonical);
  }

  private async problemWith(id: string, servers: ReadonlySet<string>): Promise<string | undefined> {
    if (this.builtin(id)) return undefined;
    const missing = NEEDS_SETUP[TOOL_ALIASES[id] ?? id];
    if (missing) return `tool "${id}" is not available on this deployment: ${missing}`;
    const mcp = parseMcpToolId(id);
    if (!mcp) return `unknown tool "${id}"; see GET /api/agents/tools`;
    if (!servers.has(mcp.server)) {
      return `unknown MCP server "${mcp.server}" in tool "${id}"; see GET /api/agents/tools`;
    }
    if (mcp.tool === MCP_ALL_TOOLS_PREFIX) return undefined;
    const { tools, available } = await this.mcp.toolsOf(mcp.server);
    if (!available || tools.some((tool) => tool.id === id)) return undefined;
    return `MCP server "${mcp.server}" has no tool "${mcp.tool}"; see GET /api/agents/tools`;
  }
}

function describe(tool: ServerTool): ToolDescriptor {
  return {
    id: tool.id,
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters,
    source: tool.source,
    ...(tool.server !== undefined ? { server: tool.server } : {}),
  };
}
