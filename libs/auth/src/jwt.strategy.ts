import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig, UnauthenticatedError } from '@agents/core';
import { AuthService, type JwtPayload } from './auth.service';
import type { AuthUser } from './auth-user';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
    if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) {
      throw new UnauthenticatedError('Invalid token');
    }
    const user = await this.auth.userForToken({ sub: payload.sub });
    if (!user) throw new UnauthenticatedError('The account for this token no longer exists');
    return user;
  }
}
