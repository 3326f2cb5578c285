import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService, containsPattern } from '@agents/core';
import { GroupEntity, GroupMemberEntity } from './group.entity';
import { UserEntity } from './user.entity';

export interface GroupWithCount extends GroupEntity {
  memberCount: number;
}

const MAX_GROUPS_LISTED = 1000;

@Injectable()
export class GroupsRepository {
  constructor(private readonly db: DatabaseService) {}

  async create(group: Pick<GroupEntity, 'name' | 'description' | 'createdBy'>): Promise<GroupEntity> {
    const row = this.db.manager.create(GroupEntity, { ...group, createdAt: new Date() });
    return this.db.manager.save(row);
  }

  findById(id: string): Promise<GroupEntity | null> {
    return this.db.manager.findOneBy(GroupEntity, { id });
  }

  /** Every group (for ADMIN), or the groups `memberId` belongs to, by name, with member counts. */
  async list(memberId?: string): Promise<GroupWithCount[]> {
    const qb = this.db.manager
      .createQueryBuilder(GroupEntity, 'g')
      .addSelect(
        (sub) => sub.select('count(*)::int').from(GroupMemberEntity, 'c').where('c.group_id = g.id'),
        'member_count',
      )
      .orderBy('lower(g.name)', 'ASC')
      .limit(MAX_GROUPS_LISTED);
    if (memberId !== undefined) {
      // A subquery, not a join: TypeORM pages joined queries with LIMIT in two queries, which
      // cannot order by the lower(g.name) expression.
      qb.where('g.id IN (SELECT m.group_id FROM group_members m WHERE m.user_id = :memberId)', { memberId });
    }
    const { entities, raw } = await qb.getRawAndEntities<{ member_count: number }>();
    return entities.map((g, i) => Object.assign(g, { memberCount: raw[i]?.member_count ?? 0 }));
  }

  members(groupId: string): Promise<UserEntity[]> {
    return this.db.manager
      .createQueryBuilder(UserEntity, 'u')
      .innerJoin(GroupMemberEntity, 'm', 'm.user_id = u.id AND m.group_id = :groupId', { groupId })
      .orderBy('lower(u.name)', 'ASC')
      .getMany();
  }

  /** Adds a member; false when already a member. */
  async addMember(groupId: string, userId: string): Promise<boolean> {
    const rows = await this.db.manager.query<unknown[]>(
      `INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING user_id`,
      [groupId, userId],
    );
    return rows.length > 0;
  }

  /** Removes a member; false when they were not one. */
  async removeMember(groupId: string, userId: string, m: EntityManager = this.db.manager): Promise<boolean> {
    const result = await m.delete(GroupMemberEntity, { groupId, userId });
    return (result.affected ?? 0) > 0;
  }

  /** Deletes the group; its memberships and grants go in the same statement (cascade, trigger). */
  async delete(id: string, m: EntityManager = this.db.manager): Promise<boolean> {
    const result = await m.delete(GroupEntity, { id });
    return (result.affected ?? 0) > 0;
  }

  async groupIdsOf(userId: string): Promise<string[]> {
    const rows = await this.db.manager.find(GroupMemberEntity, { select: { groupId: true }, where: { userId } });
    return rows.map((r) => r.groupId);
  }

  findByIds(ids: string[], m: EntityManager = this.db.manager): Promise<GroupEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return m.createQueryBuilder(GroupEntity, 'g').where('g.id = ANY(:ids)', { ids }).getMany();
  }

  /** Groups whose name contains `q` (case-insensitive), for sharing dialogs. */
  search(q: string, limit: number): Promise<GroupEntity[]> {
    return this.db.manager
      .createQueryBuilder(GroupEntity, 'g')
      .where('g.name ILIKE :pattern', { pattern: containsPattern(q) })
      .orderBy('lower(g.name)', 'ASC')
      .limit(limit)
      .getMany();
  }
}
