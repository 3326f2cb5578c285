import { Injectable } from '@nestjs/common';
import {
  ConflictError,
  DatabaseService,
  NotFoundError,
  ValidationFailedError,
  isUniqueViolation,
  UUID_PATTERN,
} from '@agents/core';
import type { AuthUser } from './auth-user';
import { GroupDetailResponseDto, GroupMemberDto, GroupResponseDto, type CreateGroupDto } from './dto/group.dto';
import { GroupRemovalChecks } from './group-removal-checks';
import { GroupsRepository } from './groups.repository';
import { UsersRepository } from './users.repository';

@Injectable()
export class GroupsService {
  constructor(
    private readonly db: DatabaseService,
    private readonly groups: GroupsRepository,
    private readonly users: UsersRepository,
    private readonly removalChecks: GroupRemovalChecks,
  ) {}

  async create(user: AuthUser, dto: CreateGroupDto): Promise<GroupResponseDto> {
    try {
      const group = await this.groups.create({
        name: dto.name.trim(),
        description: dto.description ?? null,
        createdBy: user.id,
      });
      return GroupResponseDto.from(group, 0);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A group named "${dto.name.trim()}" already exists`);
      throw err;
    }
  }

  /** ADMIN sees every group; other users see the groups they belong to. */
  async list(user: AuthUser): Promise<GroupResponseDto[]> {
    const rows = await this.groups.list(user.role === 'ADMIN' ? undefined : user.id);
    return rows.map((g) => GroupResponseDto.from(g));
  }

  /** A group with its members, for ADMIN and for its members; anyone else gets 404. */
  async get(user: AuthUser, id: string): Promise<GroupDetailResponseDto> {
    const group = await this.find(id);
    const members = await this.groups.members(id);
    if (user.role !== 'ADMIN' && !members.some((m) => m.id === user.id)) throw groupNotFound();
    return { ...GroupResponseDto.from(group, members.length), members: members.map((m) => GroupMemberDto.from(m)) };
  }

  async addMember(groupId: string, userId: string): Promise<GroupDetailResponseDto> {
    await this.find(groupId);
    if (!(await this.users.findById(userId))) {
      throw new ValidationFailedError([{ field: 'userId', message: `user ${userId} does not exist` }]);
    }
    await this.groups.addMember(groupId, userId);
    return this.detail(groupId);
  }

  /**
   * Removes a member, unless that would leave something the group owns without an owner (the
   * registered checks refuse with 409; nothing is reassigned behind the admin's back).
   */
  async removeMember(groupId: string, userId: string): Promise<GroupDetailResponseDto> {
    await this.find(groupId);
    if (!UUID_PATTERN.test(userId)) throw notAMember();
    await this.db.transaction(async (m) => {
      await this.removalChecks.assertAllowed(m, { groupId, userId });
      if (!(await this.groups.removeMember(groupId, userId, m))) throw notAMember();
    });
    return this.detail(groupId);
  }

  /** Deletes the group with its grants, unless that would leave something it owns without an owner (409). */
  async delete(id: string): Promise<void> {
    if (!UUID_PATTERN.test(id)) throw groupNotFound();
    await this.db.transaction(async (m) => {
      await this.removalChecks.assertAllowed(m, { groupId: id });
      if (!(await this.groups.delete(id, m))) throw groupNotFound();
    });
  }

  private async detail(groupId: string): Promise<GroupDetailResponseDto> {
    const group = await this.find(groupId);
    const members = await this.groups.members(groupId);
    return { ...GroupResponseDto.from(group, members.length), members: members.map((m) => GroupMemberDto.from(m)) };
  }

  private async find(id: string) {
    const group = UUID_PATTERN.test(id) ? await this.groups.findById(id) : null;
    if (!group) throw groupNotFound();
    return group;
  }
}

function notAMember(): NotFoundError {
  return new NotFoundError('That user is not a member of this group');
}

function groupNotFound(): NotFoundError {
  return new NotFoundError('Group not found');
}
