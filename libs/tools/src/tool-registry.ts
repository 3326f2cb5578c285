import { Injectable } from '@nestjs/common';

export interface ToolDefinition {
  id: string;
  name: string;
  description: string;
  /** Other ids that name the same tool (LibreChat spellings). */
  aliases: string[];
}

/**
 * The tools of docs/http-api.md § Tools and providers. Their implementations arrive with the chat
 * worker; ids are known now.
 */
export const BUILTIN_TOOLS: readonly ToolDefinition[] = [
  {
    id: 'calculator',
    name: 'Calculator',
    description: 'Evaluates a math expression',
    aliases: [],
  },
  {
    id: 'code_interpreter',
    name: 'Code Interpreter',
    description: 'Runs Python in an isolated sandbox and returns stdout, stderr and files',
    aliases: ['execute_code'],
  },
  {
    id: 'web_search',
    name: 'Web Search',
    description: 'Searches the web and cites its sources',
    aliases: [],
  },
  {
    id: 'file_search',
    name: 'File Search',
    description: "Searches the agent's uploaded files",
    aliases: [],
  },
  {
    id: 'dalle',
    name: 'Image Generation',
    description: 'Generates images from a prompt',
    aliases: [],
  },
];

@Injectable()
export class ToolRegistry {
  private readonly byId = new Map<string, ToolDefinition>();

  constructor() {
    for (const tool of BUILTIN_TOOLS) {
      this.byId.set(tool.id, tool);
      for (const alias of tool.aliases) this.byId.set(alias, tool);
    }
  }

  list(): ToolDefinition[] {
    return [...BUILTIN_TOOLS];
  }

  /** The tool an id (or alias) names, if any. */
  resolve(id: string): ToolDefinition | undefined {
    return this.byId.get(id);
  }
}
