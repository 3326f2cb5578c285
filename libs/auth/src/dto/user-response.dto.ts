import type { UserEntity, UserRole } from '../user.entity';

export class UserResponseDto {
  /** @example "0b6f3c1e-6f2a-4c55-9d7e-2f1c8a1f4b21" */
  id!: string;
  /** @example "ada@example.com" */
  email!: string;
  /** @example "Ada Lovelace" */
  name!: string;
  /** The first registered user is ADMIN. @example "USER" */
  role!: UserRole;
  /** @example "2026-11-29T12:00:00.000Z" */
  createdAt!: string;

  static from(user: UserEntity): UserResponseDto {
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      createdAt: user.createdAt.toISOString(),
    };
  }
}

export class RegisterResponseDto {
  user!: UserResponseDto;
}

export class LoginResponseDto {
  /** Bearer token for `Authorization: Bearer <token>`. */
  token!: string;
  user!: UserResponseDto;
}
