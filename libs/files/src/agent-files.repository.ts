import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService } from '@agents/core';
import type { AgentSnapshot } from '@agents/versions';

/** An agent row as files need it: its id, version and configuration. */
export type AgentRow = AgentSnapshot & { id: string; version: number };

/**
 * The queries files make on agents' `tool_resources` — the only agent data this library touches,
 * read and written here without depending on the agents library (which depends on this one).
 */
@Injectable()
export class AgentFilesRepository {
  constructor(private readonly db: DatabaseService) {}

  /** The agent, its row locked for the rest of `m`'s transaction; null when it does not exist. */
  async lockAgent(m: EntityManager, agentId: string): Promise<AgentRow | null> {
    const rows = await m.query<AgentRow[]>(`SELECT * FROM agents WHERE id = $1 FOR UPDATE`, [agentId]);
    return rows[0] ?? null;
  }

  async toolResourcesOf(agentId: string): Promise<Record<string, unknown> | null> {
    const rows = await this.db.manager.query<
      {
        tool_resources: Record<string, unknown>;
      }[]
    >(`SELECT tool_resources FROM agents WHERE id = $1`, [agentId]);
    return rows[0]?.tool_resources ?? null;
  }

  /** Writes an agent's new configuration and version number (the version row is the caller's). */
  async saveVersion(
    m: EntityManager,
    agentId: string,
    toolResources: Record<string, unknown>,
    version: number,
    at: Date,
  ): Promise<void> {
    await m.query(`UPDATE agents SET tool_resources = $2::jsonb, version = $3, updated_at = $4 WHERE id = $1`, [
      agentId,
      JSON.stringify(toolResources),
      version,
      at,
    ]);
  }

  /** Ids of the agents whose tool_resources list the file under any resource. */
  async agentsListing(fileId: string, m: EntityManager = this.db.manager): Promise<string[]> {
    const rows = await m.query<{ id: string }[]>(
      `SELECT a.id FROM agents a
        WHERE EXISTS (SELECT 1 FROM jsonb_each(a.tool_resources) r
                       WHERE jsonb_typeof(r.value) = 'object'
                         AND jsonb_typeof(r.value -> 'file_ids') = 'array'
                         AND (r.value -> 'file_ids') ? $1)`,
      [fileId],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Takes the file's id out of the current tool_resources of every agent listing it, in place
   * (no new version; see FilesService.delete). Returns the agents changed.
   */
  async removeEverywhere(m: EntityManager, fileId: string): Promise<string[]> {
    const ids = await this.agentsListing(fileId, m);
    for (const id of ids) {
      const agent = await this.lockAgent(m, id);
      if (!agent) continue;
      await m.query(`UPDATE agents SET tool_resources = $2::jsonb WHERE id = $1`, [
        id,
        JSON.stringify(withoutFile(agent.tool_resources, fileId)),
      ]);
    }
    return ids;
  }
}

/** Every `file_ids` of tool_resources, by resource. */
export function fileIdsByResource(toolResources: Record<string, unknown>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [resource, value] of Object.entries(toolResources ?? {})) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const ids = (value as { file_ids?: unknown }).file_ids;
    if (Array.isArray(ids))
      out.set(
        resource,
        ids.filter((id): id is string => typeof id === 'string'),
      );
  }
  return out;
}

/** tool_resources with `fileId` appended to `resource`'s file_ids (once). */
export function withFile(
  toolResources: Record<string, unknown>,
  resource: string,
  fileId: string,
): Record<string, unknown> {
  const next = structuredClone(toolResources ?? {});
  const current = next[resource];
  const entry =
    current !== null && typeof current === 'object' && !Array.isArray(current)
      ? (current as Record<string, unknown>)
      : {};
  const ids = Array.isArray(entry.file_ids) ? (entry.file_ids as unknown[]) : [];
  next[resource] = { ...entry, file_ids: ids.includes(fileId) ? ids : [...ids, fileId] };
  return next;
}

/** tool_resources without `fileId` in any file_ids. */
export function withoutFile(toolResources: Record<string, unknown>, fileId: string): Record<string, unknown> {
  const next = structuredClone(toolResources ?? {});
  for (const value of Object.values(next)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const entry = value as Record<string, unknown>;
    if (Array.isArray(entry.file_ids)) entry.file_ids = (entry.file_ids as unknown[]).filter((id) => id !== fileId);
  }
  return next;
}
