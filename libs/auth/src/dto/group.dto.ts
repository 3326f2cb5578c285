import { IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import type { GroupEntity } from '../group.entity';
import type { GroupWithCount } from '../groups.repository';
import type { UserEntity } from '../user.entity';

export class CreateGroupDto {
  /** Unique (case-insensitive), 1..128 characters. @example "Platform Team" */
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  /** @example "Owns the shared agents" */
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;
}

export class AddMemberDto {
  /** The user to add. @example "0b6f3c1e-6f2a-4c55-9d7e-2f1c8a1f4b21" */
  @IsUUID('all')
  userId!: string;
}

export class GroupResponseDto {
  /** @example "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d" */
  id!: string;
  /** @example "Platform Team" */
  name!: string;
  description!: string | null;
  /** @example 3 */
  memberCount!: number;
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;

  static from(
    group: GroupEntity | GroupWithCount,
    memberCount = 'memberCount' in group ? group.memberCount : 0,
  ): GroupResponseDto {
    return {
      id: group.id,
      name: group.name,
      description: group.description,
      memberCount,
      createdAt: group.createdAt.toISOString(),
    };
  }
}

export class GroupMemberDto {
  /** @example "0b6f3c1e-6f2a-4c55-9d7e-2f1c8a1f4b21" */
  id!: string;
  /** @example "Ada Lovelace" */
  name!: string;
  /** @example "ada@example.com" */
  email!: string;

  static from(user: UserEntity): GroupMemberDto {
    return { id: user.id, name: user.name, email: user.email };
  }
}

export class GroupDetailResponseDto extends GroupResponseDto {
  members!: GroupMemberDto[];
}

export class GroupListResponseDto {
  data!: GroupResponseDto[];
}
