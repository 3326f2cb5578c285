import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService, type KeysetPosition } from '@agents/core';
import { FileEntity } from './file.entity';

/** Namespace of the per-user advisory lock that serialises quota checks (pg_advisory_xact_lock(ns, key)). */
const QUOTA_LOCK_NAMESPACE = 7_240_201;

/** Every query on `files` (the bytes are FileStorage's business). */
@Injectable()
export class FilesRepository {
  constructor(private readonly db: DatabaseService) {}

  async insert(m: EntityManager, file: FileEntity): Promise<void> {
    await m.insert(FileEntity, file);
  }

  findById(id: string, m: EntityManager = this.db.manager): Promise<FileEntity | null> {
    return m.findOneBy(FileEntity, { id });
  }

  /** The files with these ids that exist (any owner), in no particular order. */
  async findByIds(ids: string[]): Promise<FileEntity[]> {
    if (ids.length === 0) return [];
    return this.db.manager.createQueryBuilder(FileEntity, 'f').where('f.id = ANY(:ids::uuid[])', { ids }).getMany();
  }

  /** Which of `ids` (UUIDs) belong to `userId`. */
  async ownedIds(userId: string, ids: string[], m: EntityManager = this.db.manager): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await m.query<
      {
        id: string;
      }[]
    >(`SELECT id FROM files WHERE user_id = $1 AND id = ANY($2::uuid[])`, [userId, ids]);
    return new Set(rows.map((r) => r.id));
  }

  /** One keyset page (limit + 1 rows) of a user's files, newest first, ties by id. */
  pageOwnedBy(userId: string, limit: number, after?: KeysetPosition): Promise<FileEntity[]> {
    const qb = this.db.manager
      .createQueryBuilder(FileEntity, 'f')
      .where('f.user_id = :userId', { userId })
      .orderBy('f.created_at', 'DESC')
      .addOrderBy('f.id', 'DESC')
      .limit(limit + 1);
    if (after) qb.andWhere('(f.created_at, f.id) < (:at, :id)', { at: after.at, id: after.id });
    return qb.getMany();
  }

  /** Bytes a user holds, uploads and generated files together. */
  async usedBytes(userId: string, m: EntityManager = this.db.manager): Promise<number> {
    const rows = await m.query<{ used: string }[]>(
      `SELECT COALESCE(SUM(bytes), 0)::bigint AS used FROM files WHERE user_id = $1`,
      [userId],
    );
    return Number(rows[0]?.used ?? 0);
  }

  /**
   * Serialises the quota checks of one user until `m`'s transaction ends: two concurrent uploads
   * cannot both see the room only one of them fits in.
   */
  async lockQuota(m: EntityManager, userId: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [QUOTA_LOCK_NAMESPACE, userId]);
  }

  async delete(m: EntityManager, id: string): Promise<void> {
    await m.delete(FileEntity, { id });
  }

  /** Marks a file `ready`, recording what processing found (pages, chunks). */
  async markReady(id: string, found: { pages?: number | null; chunkCount?: number }): Promise<void> {
    await this.db.manager.query(
      `UPDATE files SET status = 'ready', error = NULL, pages = COALESCE($2, pages),
         chunk_count = COALESCE($3, chunk_count), updated_at = now() WHERE id = $1`,
      [id, found.pages ?? null, found.chunkCount ?? null],
    );
  }

  /** Marks a file `failed` with a message meant for its owner. */
  async markFailed(id: string, error: string): Promise<void> {
    await this.db.manager.query(`UPDATE files SET status = 'failed', error = $2, updated_at = now() WHERE id = $1`, [
      id,
      error.slice(0, 2_000),
    ]);
  }
}
