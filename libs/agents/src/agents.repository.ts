import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DatabaseService, type KeysetPosition } from '@agents/core';
import { AgentEntity } from './agent.entity';

export interface AgentListFilter {
  limit: number;
  after?: KeysetPosition;
  search?: string;
  category?: string;
}

/** `%`, `_` and `\` in a user's search are literal characters, not patterns. */
function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

@Injectable()
export class AgentsRepository {
  constructor(private readonly db: DatabaseService) {}

  findById(id: string, m: EntityManager = this.db.manager): Promise<AgentEntity | null> {
    return m.findOneBy(AgentEntity, { id });
  }

  /** Loads and row-locks an agent for the rest of the caller's transaction. */
  findByIdForUpdate(m: EntityManager, id: string): Promise<AgentEntity | null> {
    return m.createQueryBuilder(AgentEntity, 'a').setLock('pessimistic_write').where('a.id = :id', { id }).getOne();
  }

  async insert(m: EntityManager, agent: AgentEntity): Promise<void> {
    await m.insert(AgentEntity, agent as QueryDeepPartialEntity<AgentEntity>);
  }

  async save(m: EntityManager, agent: AgentEntity): Promise<void> {
    await m.update(AgentEntity, { id: agent.id }, agent as QueryDeepPartialEntity<AgentEntity>);
  }

  async delete(m: EntityManager, id: string): Promise<void> {
    await m.delete(AgentEntity, { id });
  }

  /**
   * One page of the agents a user may see, newest `updatedAt` first, filtered and paginated in SQL
   * with a keyset on (updated_at, id) — never OFFSET. Fetches `limit + 1` rows so the caller knows
   * whether another page exists.
   */
  listVisibleTo(userId: string, filter: AgentListFilter): Promise<AgentEntity[]> {
    const qb = this.db.manager
      .createQueryBuilder(AgentEntity, 'a')
      .where('a.author = :userId', { userId })
      .orderBy('a.updated_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.category !== undefined) qb.andWhere('a.category = :category', { category: filter.category });
    if (filter.search !== undefined) {
      qb.andWhere(`(a.name ILIKE :pattern OR a.description ILIKE :pattern)`, { pattern: likePattern(filter.search) });
    }
    if (filter.after) {
      qb.andWhere('(a.updated_at, a.id) < (:afterAt, :afterId)', {
        afterAt: filter.after.at,
        afterId: filter.after.id,
      });
    }
    return qb.getMany();
  }
}
