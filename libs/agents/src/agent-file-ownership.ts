import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthUser } from '@agents/auth';
import type { FieldProblem } from '@agents/core';
import { FilesService, fileIdsByResource } from '@agents/files';

/**
 * Files are their uploader's data: an agent's `tool_resources.*.file_ids` may name only files the
 * editor owns — except ids the agent already lists (another editor's files stay as they are).
 */
@Injectable()
export class AgentFileOwnership {
  constructor(private readonly files: FilesService) {}

  /** One problem per file id the caller may not attach, named `tool_resources.<resource>.file_ids[<i>]`. */
  async problems(
    user: AuthUser,
    next: Record<string, unknown> | undefined,
    current: Record<string, unknown> = {},
    m?: EntityManager,
  ): Promise<FieldProblem[]> {
    if (!next) return [];
    const already = new Set([...fileIdsByResource(current).values()].flat());
    const byResource = fileIdsByResource(next);
    const added = [...byResource.values()].flat().filter((id) => !already.has(id));
    if (added.length === 0) return [];
    const owned = await this.files.ownedIds(user.id, added, m);
    const problems: FieldProblem[] = [];
    for (const [resource, ids] of byResource) {
      ids.forEach((id, i) => {
        if (!already.has(id) && !owned.has(id)) {
          problems.push({
            field: `tool_resources.${resource}.file_ids[${i}]`,
            message: `file ${id.slice(0, 64)} is not one of your files; upload it first`,
          });
        }
      });
    }
    return problems;
  }
}
