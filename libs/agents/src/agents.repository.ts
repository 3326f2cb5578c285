import { Injectable } from '@nestjs/common';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AclRepository, PermissionBits } from '@agents/acl';
import { DatabaseService, containsPattern, type KeysetPosition } from '@agents/core';
import { AgentEntity } from './agent.entity';

export interface AgentListFilter {
  limit: number;
  /** Bits the caller must hold (together, over all their grants); VIEW for a plain list. */
  requiredBits: number;
  after?: KeysetPosition;
  search?: string;
  category?: string;
  /** Only promoted agents (true) or only the others (false). */
  promoted?: boolean;
}

export interface CategoryCount {
  value: string;
  count: number;
}

@Injectable()
export class AgentsRepository {
  constructor(
    private readonly db: DatabaseService,
    private readonly acl: AclRepository,
  ) {}

  findById(id: string, m?: EntityManager): Promise<AgentEntity | null> {
    const tx = this.db.inTransaction(m);
    const qb = (tx ?? this.db.manager).createQueryBuilder(AgentEntity, 'a').where('a.id = :id', { id });
    return tx ? qb.getOne() : this.db.getOnePrepared(qb);
  }

  /** Loads and row-locks an agent for the rest of the caller's transaction. */
  findByIdForUpdate(m: EntityManager, id: string): Promise<AgentEntity | null> {
    return m.createQueryBuilder(AgentEntity, 'a').setLock('pessimistic_write').where('a.id = :id', { id }).getOne();
  }

  /**
   * How many existing agents `authorId` created, with the author's user row locked for the rest of
   * `m`'s transaction: one user's concurrent creations count one after the other, so a limit
   * checked on this count holds exactly. FOR NO KEY UPDATE does not block other inserts that
   * reference the user.
   */
  async countAuthoredLocking(m: EntityManager, authorId: string): Promise<number> {
    await m.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [authorId]);
    const [{ count }] = await m.query<[{ count: number }]>(
      'SELECT count(*)::int AS count FROM agents WHERE author = $1',
      [authorId],
    );
    return count;
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

  /** One page of the agents a user may see; see {@link visibleQuery}. */
  async listVisibleTo(viewer: { id: string; isAdmin: boolean }, filter: AgentListFilter): Promise<AgentEntity[]> {
    const { qb, prepared } = this.visibleQuery(viewer, filter);
    return prepared ? this.db.getManyPrepared(qb) : qb.getMany();
  }

  /**
   * {@link listVisibleTo}, with whether the user holds EDIT on each agent, decided in the same query
   * (an EXISTS per row of the page): the list shows each agent in full or as its card accordingly.
   */
  async pageVisibleTo(
    viewer: { id: string; isAdmin: boolean },
    filter: AgentListFilter,
  ): Promise<{ agent: AgentEntity; canEdit: boolean }[]> {
    const { qb, prepared } = this.visibleQuery(viewer, filter);
    if (viewer.isAdmin) return (await qb.getMany()).map((agent) => ({ agent, canEdit: true }));
    qb.addSelect(this.acl.holdsBitSql('a.id', PermissionBits.EDIT), 'can_edit').setParameters({
      aclUserId: viewer.id,
      aclResourceType: 'agent',
    });
    const { entities, raw } = prepared ? await this.db.getRawAndManyPrepared(qb) : await qb.getRawAndEntities();
    const canEdit = new Map(raw.map((row: Record<string, unknown>) => [row.a_id, row.can_edit === true]));
    return entities.map((agent) => ({ agent, canEdit: canEdit.get(agent.id) === true }));
  }

  /**
   * The query of one page of the agents a user may see (through their own, their groups' or public
   * grants; ADMIN sees all), newest `updatedAt` first, filtered and paginated in SQL with a keyset on
   * (updated_at, id) — never OFFSET, never in memory. Fetches `limit + 1` rows so the caller knows
   * whether another page exists. `prepared`: run it as a prepared statement.
   *
   * A plain page (one permission bit, no search, category or promoted filter) is taken from the
   * grants index, one ordered range per principal, so it costs the same whether the caller sees 1%
   * or 90% of a million agents. Filtered pages and multi-bit requirements filter agents with EXISTS
   * probes instead, which the planner runs from whichever side is cheaper.
   */
  private visibleQuery(
    viewer: { id: string; isAdmin: boolean },
    filter: AgentListFilter,
  ): { qb: SelectQueryBuilder<AgentEntity>; prepared: boolean } {
    const qb = this.db.manager
      .createQueryBuilder(AgentEntity, 'a')
      .orderBy('a.updated_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.after) {
      qb.andWhere('(a.updated_at, a.id) < (:afterAt, :afterId)', {
        afterAt: filter.after.at,
        afterId: filter.after.id,
      });
    }
    if (filter.category !== undefined) qb.andWhere('a.category = :category', { category: filter.category });
    if (filter.promoted !== undefined) qb.andWhere('a.is_promoted = :promoted', { promoted: filter.promoted });
    if (filter.search !== undefined) {
      qb.andWhere(`(a.name ILIKE :pattern OR a.description ILIKE :pattern)`, {
        pattern: containsPattern(filter.search),
      });
    }
    if (viewer.isAdmin) return { qb, prepared: false };

    const bit = singleRequiredBit(filter.requiredBits);
    const filtered = filter.category !== undefined || filter.search !== undefined || filter.promoted !== undefined;
    if (bit === undefined || filtered) {
      return { qb: this.acl.restrictToGranted(qb, 'agent', 'a.id', viewer.id, filter.requiredBits), prepared: false };
    }
    qb.andWhere(`a.id IN (${this.acl.firstGrantedIdsSql(bit, filter.after !== undefined)})`, {
      aclUserId: viewer.id,
      aclResourceType: 'agent',
      aclLimit: filter.limit + 1,
      aclAfterAt: filter.after?.at,
      aclAfterId: filter.after?.id,
    });
    return { qb, prepared: true };
  }

  /**
   * The categories of the agents a user may see, each with how many of them it holds: one GROUP BY
   * in SQL over the same visibility rule as the list. Categories are free text, so the answer is
   * capped at the `limit` most used ones.
   */
  async categoryCounts(viewer: { id: string; isAdmin: boolean }, limit: number): Promise<CategoryCount[]> {
    const qb = this.db.manager
      .createQueryBuilder(AgentEntity, 'a')
      .select('a.category', 'value')
      .addSelect('count(*)::int', 'count')
      .groupBy('a.category')
      .orderBy('count(*)', 'DESC')
      .addOrderBy('a.category', 'ASC')
      .limit(limit);
    if (!viewer.isAdmin) this.acl.restrictToGranted(qb, 'agent', 'a.id', viewer.id, PermissionBits.VIEW);
    return qb.getRawMany<CategoryCount>();
  }
}

/**
 * Every grant includes VIEW (a database CHECK), so VIEW|X is held exactly when X is. Returns the one
 * bit that decides, or undefined when two or more other bits must be held together.
 */
function singleRequiredBit(requiredBits: number): number | undefined {
  const beyondView = requiredBits & ~PermissionBits.VIEW;
  if (beyondView === 0) return PermissionBits.VIEW;
  return (beyondView & (beyondView - 1)) === 0 ? beyondView : undefined;
}
