import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import {
  AppConfig,
  ConflictError,
  ForbiddenError,
  UnauthenticatedError,
  ValidationFailedError,
  isUniqueViolation,
} from '@agents/core';
import type { RegisterDto } from './dto/register.dto';
import type { LoginDto } from './dto/login.dto';
import { PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import type { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';
import type { AuthUser } from './auth-user';

export interface JwtPayload {
  sub: string;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly passwordPolicy: PasswordPolicy,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  async register(dto: RegisterDto): Promise<UserEntity> {
    if (!this.config.allowRegistration) throw new ForbiddenError('Registration is closed on this server');
    // Checked here rather than in the DTO because the minimum length is configuration.
    const weak = this.passwordPolicy.problemWith(dto.password);
    if (weak) throw new ValidationFailedError([{ field: 'password', message: weak }]);
    if (await this.users.findByEmail(dto.email)) throw new ConflictError('A user with this email already exists');
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      return await this.users.createWithFirstAdmin({ email: dto.email, name: dto.name, passwordHash });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('A user with this email already exists');
      throw err;
    }
  }

  async login(dto: LoginDto): Promise<{ token: string; user: UserEntity }> {
    const user = await this.users.findByEmail(dto.email);
    if (!user) {
      await this.hasher.burn(dto.password);
      throw new UnauthenticatedError('Invalid email or password');
    }
    if (!(await this.hasher.verify(dto.password, user.passwordHash))) {
      throw new UnauthenticatedError('Invalid email or password');
    }
    const payload: JwtPayload = { sub: user.id };
    return { token: await this.jwt.signAsync(payload), user };
  }

  /** Resolves a verified token's subject to the current user, or null when it no longer exists. */
  async userForToken(payload: JwtPayload): Promise<AuthUser | null> {
    const user = await this.users.findById(payload.sub);
    return user && { id: user.id, email: user.email, name: user.name, role: user.role };
  }

  async profile(userId: string): Promise<UserEntity> {
    const user = await this.users.findById(userId);
    if (!user) throw new UnauthenticatedError('The account no longer exists');
    return user;
  }
}
