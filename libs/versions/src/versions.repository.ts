import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DatabaseService } from '@agents/core';
import type { AgentSnapshot } from './agent-snapshot';
import { AgentVersionEntity } from './agent-version.entity';

@Injectable()
export class VersionsRepository {
  constructor(private readonly db: DatabaseService) {}

  /** Appends a version inside the caller's transaction (the agent row changes in the same one). */
  async append(
    m: EntityManager,
    row: { agentId: string; version: number; snapshot: AgentSnapshot; createdBy: string; createdAt: Date },
  ): Promise<void> {
    await m.insert(AgentVersionEntity, row as QueryDeepPartialEntity<AgentVersionEntity>);
  }

  find(agentId: string, version: number, m?: EntityManager): Promise<AgentVersionEntity | null> {
    const tx = this.db.inTransaction(m);
    const qb = (tx ?? this.db.manager)
      .createQueryBuilder(AgentVersionEntity, 'v')
      .where('v.agent_id = :agentId AND v.version = :version', { agentId, version });
    return tx ? qb.getOne() : this.db.getOnePrepared(qb);
  }

  /** Newest first; `beforeVersion` is the keyset position of the previous page. */
  listNewestFirst(agentId: string, limit: number, beforeVersion?: number): Promise<AgentVersionEntity[]> {
    const qb = this.db.manager
      .createQueryBuilder(AgentVersionEntity, 'v')
      .where('v.agent_id = :agentId', { agentId })
      .orderBy('v.version', 'DESC')
      .limit(limit);
    if (beforeVersion !== undefined) qb.andWhere('v.version < :beforeVersion', { beforeVersion });
    return qb.getMany();
  }
}
