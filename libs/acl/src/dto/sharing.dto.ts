import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { OptionalNotNull } from '@agents/core';
import { AGENT_ROLE_IDS } from '../permission-bits';

export class PrincipalRefDto {
  /** @example "group" */
  @IsIn(['user', 'group'])
  type!: 'user' | 'group';

  /** A user or group id. @example "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d" */
  @IsUUID('all')
  id!: string;
}

export class PrincipalGrantDto extends PrincipalRefDto {
  /** @example "agent_user" */
  @IsIn(AGENT_ROLE_IDS)
  accessRoleId!: string;
}

/** Changes to an agent's grants, applied together or not at all. */
export class UpdatePermissionsDto {
  /** Principals to grant (or re-grant) a role, at most 100. */
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PrincipalGrantDto)
  updated: PrincipalGrantDto[] = [];

  /** Principals whose grant is removed, at most 100. */
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PrincipalRefDto)
  removed: PrincipalRefDto[] = [];

  /** true adds (or changes) the public grant, false removes it; omitted leaves it. @example true */
  @OptionalNotNull()
  @IsBoolean()
  public?: boolean;

  /** The public grant's role, with `public: true`; default agent_viewer. @example "agent_viewer" */
  @OptionalNotNull()
  @IsIn(AGENT_ROLE_IDS)
  publicAccessRoleId?: string;
}

export class PrincipalPermissionDto {
  /** @example "user" */
  type!: 'user' | 'group';
  /** @example "0b6f3c1e-6f2a-4c55-9d7e-2f1c8a1f4b21" */
  id!: string;
  /** @example "Ada Lovelace" */
  name!: string;
  /** Users only. @example "ada@example.com" */
  email?: string;
  /** @example "agent_owner" */
  accessRoleId!: string;
  /** @example 31 */
  permBits!: number;
}

export class ResourcePermissionsDto {
  /** @example "agent" */
  resourceType!: 'agent';
  /** @example "agent_V1StGXR8_Z5jdHi6B-myT" */
  resourceId!: string;
  principals!: PrincipalPermissionDto[];
  /** @example false */
  public!: boolean;
  /** @example null */
  publicAccessRoleId!: string | null;
}

export class EffectivePermissionsDto {
  /** @example 17 */
  permissionBits!: number;
  /** @example ["VIEW", "USE"] */
  permissions!: string[];
}

export class AccessRoleDto {
  /** @example "agent_editor" */
  accessRoleId!: string;
  /** @example 19 */
  permBits!: number;
  /** @example "Can see, chat with and change the agent" */
  description!: string;
}

export class SearchPrincipalsQueryDto {
  /** At least 2 characters of a name or email. @example "ada" */
  @IsString()
  @MinLength(2)
  @MaxLength(256)
  q!: string;

  /** @example 10 */
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  limit: number = 10;
}

export class PrincipalSearchResultDto {
  /** @example "user" */
  type!: 'user' | 'group';
  /** @example "0b6f3c1e-6f2a-4c55-9d7e-2f1c8a1f4b21" */
  id!: string;
  /** @example "Ada Lovelace" */
  name!: string;
  /** Users only. @example "ada@example.com" */
  email?: string;
}

export class PrincipalSearchResponseDto {
  data!: PrincipalSearchResultDto[];
}
