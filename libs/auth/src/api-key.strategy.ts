import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { ApiKeysService } from './api-keys.service';
import type { AuthUser } from './auth-user';

/** Passport strategy 'api-key': `Authorization: Bearer sk-…` acts as the key's owner. */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly apiKeys: ApiKeysService) {
    super();
  }

  validate(token: string): Promise<AuthUser> {
    return this.apiKeys.authenticate(token);
  }
}
