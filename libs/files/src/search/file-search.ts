import { Injectable } from '@nestjs/common';
import { DatabaseService, UUID_PATTERN } from '@agents/core';
import type { FileExcerpt } from '@agents/tools';

/** The most matches one search ranks (see FILE_SEARCH_SQL). */
export const RANKED_CANDIDATES = 2_000;

/**
 * $1 the file ids, $2 the query, $3 the limit. The query's `@@` is served by the GIN index on
 * `tsv`; `numnode = 0` (a query of stop words only) matches nothing instead of making PostgreSQL
 * log a notice per row. Ranking is the costly part, so it runs over at most
 * {@link RANKED_CANDIDATES} matches: a word found in most chunks of a large collection costs that
 * many rankings, not one per chunk, and only the excerpts returned are read in full.
 */
export const FILE_SEARCH_SQL = `WITH q AS (SELECT websearch_to_tsquery('english', $2) AS query),
 candidates AS (
   SELECT c.file_id, c.seq, ts_rank_cd(c.tsv, q.query) AS score
     FROM q
     JOIN file_chunks c ON c.tsv @@ q.query
    WHERE numnode(q.query) > 0
      AND c.file_id = ANY($1::uuid[])
    LIMIT ${RANKED_CANDIDATES}
 )
 SELECT c.file_id, f.filename, c.page, c.text, k.score
   FROM candidates k
   JOIN file_chunks c ON c.file_id = k.file_id AND c.seq = k.seq
   JOIN files f ON f.id = c.file_id
  WHERE f.status = 'ready'
  ORDER BY k.score DESC, c.file_id, c.seq
  LIMIT $3`;

/** The most excerpts one search returns. */
export const MAX_SEARCH_RESULTS = 50;
/** The longest query searched; the rest is ignored. */
export const MAX_QUERY_CHARS = 1_000;

/**
 * Full-text search over the chunks of given files (PostgreSQL's `english` configuration, through
 * the GIN index on `file_chunks.tsv`), the same on PostgreSQL and on the embedded PGlite.
 */
@Injectable()
export class FileSearch {
  constructor(private readonly db: DatabaseService) {}

  /**
   * The chunks of `fileIds` (ready files only) that match `query`, written as a web search box
   * takes it (`"exact phrase"`, `or`, `-word`), best first by cover density (`ts_rank_cd`). A
   * query of stop words only, or none, finds nothing.
   */
  async search(fileIds: readonly string[], query: string, limit: number): Promise<FileExcerpt[]> {
    const ids = [...new Set(fileIds.filter((id) => UUID_PATTERN.test(id)))];
    const text = query.trim().slice(0, MAX_QUERY_CHARS);
    const count = Math.min(Math.max(Math.floor(limit), 1), MAX_SEARCH_RESULTS);
    if (ids.length === 0 || !text) return [];
    const rows = await this.db.manager.query<
      { file_id: string; filename: string; page: number | null; text: string; score: number }[]
    >(FILE_SEARCH_SQL, [ids, text, count]);
    return rows.map((row) => ({
      fileId: row.file_id,
      filename: row.filename,
      page: row.page,
      text: row.text,
      score: Number(row.score),
    }));
  }
}
