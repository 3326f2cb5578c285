import { Injectable } from '@nestjs/common';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DatabaseService } from '@agents/core';
import { ResponseEntity } from './response.entity';

@Injectable()
export class ResponsesRepository {
  constructor(private readonly db: DatabaseService) {}

  /** The user's own stored response; another user's is as unknown as none. */
  findOwned(userId: string, id: string): Promise<ResponseEntity | null> {
    return this.db.manager.findOneBy(ResponseEntity, { id, userId });
  }

  async insert(response: ResponseEntity): Promise<void> {
    await this.db.manager.insert(ResponseEntity, response as QueryDeepPartialEntity<ResponseEntity>);
  }
}
