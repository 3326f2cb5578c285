import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig, UnauthenticatedError, UUID_PATTERN } from '@agents/core';
import { AuthService, type JwtPayload } from './auth.service';
import type { AuthUser } from './auth-user';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly auth: AuthService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwtSecret,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  async validate(payload: Partial<JwtPayload>): Promise<AuthUser> {
    if (typeof payload.sub !== 'string' || !UUID_PATTERN.test(payload.sub)) {
      throw new UnauthenticatedError('Invalid token');
    }
    const user = await this.auth.userForToken({ sub: payload.sub });
    if (!user) throw new UnauthenticatedError('The account for this token no longer exists');
    return user;
  }
}
