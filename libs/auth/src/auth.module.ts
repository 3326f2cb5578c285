import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@agents/core';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyStrategy } from './api-key.strategy';
import { ApiKeyUsageRecorder } from './api-key-usage';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { AuthController, UserController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { StreamTickets } from './stream-tickets';
import { PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import { createAuthThrottlerStorage } from './redis-throttler-storage';
import { GroupEntity, GroupMemberEntity } from './group.entity';
import { GroupRemovalChecks } from './group-removal-checks';
import { GroupsController } from './groups.controller';
import { GroupsRepository } from './groups.repository';
import { GroupsService } from './groups.service';
import { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

@Module({
  imports: [
    TypeOrmModule.forFeature([UserEntity, GroupEntity, GroupMemberEntity, ApiKeyEntity]),
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: config.jwtSecret,
        signOptions: { expiresIn: config.jwtExpiresIn as `${number}h`, algorithm: 'HS256' },
      }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // Named `default` because the library suffixes its headers with any other name
        // (`Retry-After-auth`), which no client reads.
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.authRateLimit }],
        storage: createAuthThrottlerStorage(config),
      }),
    }),
  ],
  controllers: [AuthController, UserController, GroupsController, ApiKeysController],
  providers: [
    AuthService,
    UsersRepository,
    GroupsRepository,
    GroupsService,
    GroupRemovalChecks,
    PasswordHasher,
    PasswordPolicy,
    JwtStrategy,
    ApiKeysRepository,
    ApiKeysService,
    ApiKeyUsageRecorder,
    ApiKeyStrategy,
    StreamTickets,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
  exports: [UsersRepository, ApiKeysRepository, GroupsRepository, GroupRemovalChecks, StreamTickets],
})
export class AuthModule {}
