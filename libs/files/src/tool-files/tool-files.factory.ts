import { Injectable } from '@nestjs/common';
import type { FileExcerpt, ToolFileRef, ToolFiles } from '@agents/tools';
import { FileBytes } from '../processing/file-bytes';
import { FileSearch } from '../search/file-search';
import { GeneratedFiles } from './generated-files';
import { ToolFilesRepository, type ToolFileScope } from './tool-files.repository';

type Resource = 'file_search' | 'code_interpreter';

/** The conversation's files each resource takes, by purpose. */
const CONVERSATION_PURPOSES: Record<Resource, readonly string[]> = {
  file_search: ['attachment', 'file_search', 'generated'],
  code_interpreter: ['attachment', 'code_interpreter', 'generated'],
};

/** Who a run is for and what its agent brings. */
export interface ToolFilesRun {
  userId: string;
  conversationId: string | null;
  /** The agent's `tool_resources`: `{file_search: {file_ids}, code_interpreter: {file_ids}}`. */
  toolResources: Record<string, unknown> | null | undefined;
}

/** A tool asked for a file outside its scope (or one that does not exist: the same answer). */
export class ToolFileNotFoundError extends Error {
  override readonly name = 'ToolFileNotFoundError';
}

/** The file ids of one resource in an agent's `tool_resources`, tolerating any shape. */
export function resourceFileIds(toolResources: ToolFilesRun['toolResources'], resource: Resource): string[] {
  const entry = toolResources?.[resource];
  if (!entry || typeof entry !== 'object') return [];
  const ids = (entry as { file_ids?: unknown }).file_ids;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

/** Builds the `ToolFiles` of a run: the files its tool calls may use, and where they save theirs. */
@Injectable()
export class ToolFilesFactory {
  constructor(
    private readonly repository: ToolFilesRepository,
    private readonly bytes: FileBytes,
    private readonly fileSearch: FileSearch,
    private readonly generated: GeneratedFiles,
  ) {}

  forCall(run: ToolFilesRun): ToolFiles {
    const scope = (resource: Resource): ToolFileScope => ({
      userId: run.userId,
      conversationId: run.conversationId,
      agentFileIds: resourceFileIds(run.toolResources, resource),
      conversationPurposes: CONVERSATION_PURPOSES[resource],
    });
    const list = (resource: Resource): Promise<ToolFileRef[]> => this.repository.list(scope(resource));
    return {
      list,
      read: async (fileId: string): Promise<Buffer> => {
        // Scoped afresh on every read: a file saved earlier in the run is in the conversation now.
        const [searchable, code] = await Promise.all([list('file_search'), list('code_interpreter')]);
        if (!searchable.some((f) => f.id === fileId) && !code.some((f) => f.id === fileId)) {
          throw new ToolFileNotFoundError(`File ${fileId} is not available to this tool`);
        }
        return this.bytes.read(fileId);
      },
      search: async (query: string, limit: number): Promise<FileExcerpt[]> => {
        const files = await list('file_search');
        return this.fileSearch.search(
          files.map((f) => f.id),
          query,
          limit,
        );
      },
      save: (file) => this.generated.save({ userId: run.userId, conversationId: run.conversationId, ...file }),
    };
  }
}
