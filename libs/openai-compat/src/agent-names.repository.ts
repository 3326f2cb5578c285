import { Injectable } from '@nestjs/common';
import { AgentEntity } from '@agents/agents';
import { AclRepository, PermissionBits } from '@agents/acl';
import { DatabaseService } from '@agents/core';

/** How a name is compared: as written, or ignoring case. */
export type NameMatch = 'exact' | 'any-case';

/**
 * Agents by name among those a caller may USE, for `model` given as a name. Kept here rather than
 * in the agents library because only the OpenAI-compatible API resolves names.
 */
@Injectable()
export class AgentNamesRepository {
  constructor(
    private readonly db: DatabaseService,
    private readonly acl: AclRepository,
  ) {}

  /**
   * Up to `limit` agents called `name` that the user may USE (through their own, their groups' or
   * public grants; ADMIN may use all), newest first. Filtered in SQL: agents_lower_name_idx finds
   * the agents with the name, one grant probe each keeps the usable ones.
   */
  findUsableByName(
    viewer: { id: string; isAdmin: boolean },
    name: string,
    match: NameMatch,
    limit: number,
  ): Promise<AgentEntity[]> {
    const qb = this.db.manager
      .createQueryBuilder(AgentEntity, 'a')
      .where('lower(a.name) = lower(:name)', { name })
      .orderBy('a.updated_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit);
    if (match === 'exact') qb.andWhere('a.name = :name');
    if (!viewer.isAdmin) this.acl.restrictToGranted(qb, 'agent', 'a.id', viewer.id, PermissionBits.USE);
    return qb.getMany();
  }
}
