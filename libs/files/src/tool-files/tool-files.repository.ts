import { Injectable } from '@nestjs/common';
import { DatabaseService, UUID_PATTERN } from '@agents/core';
import type { ToolFileRef } from '@agents/tools';

/** Which files a tool call may use: the agent's own for a resource, and the conversation's. */
export interface ToolFileScope {
  userId: string;
  conversationId: string | null;
  /** The agent's file ids for the resource (its `tool_resources`). */
  agentFileIds: readonly string[];
  /** The purposes of the conversation's files the resource takes. */
  conversationPurposes: readonly string[];
}

/** The queries of the files tools see. */
@Injectable()
export class ToolFilesRepository {
  constructor(private readonly db: DatabaseService) {}

  /**
   * The files of the scope that exist and did not fail: the agent's listed files (whoever uploaded
   * them: the agent's configuration grants them), and the user's files attached to the
   * conversation with one of the purposes. Oldest first.
   */
  async list(scope: ToolFileScope): Promise<ToolFileRef[]> {
    const ids = scope.agentFileIds.filter((id) => UUID_PATTERN.test(id));
    const rows = await this.db.manager.query<{ id: string; filename: string; mime_type: string; bytes: string }[]>(
      `SELECT id, filename, mime_type, bytes
         FROM files
        WHERE status <> 'failed'
          AND (id = ANY($1::uuid[])
               OR (conversation_id = $2 AND user_id = $3 AND purpose = ANY($4::text[])))
        ORDER BY created_at, id`,
      [ids, scope.conversationId, scope.userId, [...scope.conversationPurposes]],
    );
    return rows.map((row) => ({
      id: row.id,
      filename: row.filename,
      mimeType: row.mime_type,
      bytes: Number(row.bytes),
    }));
  }
}
