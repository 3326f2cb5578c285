import { Injectable } from '@nestjs/common';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AppConfig, DatabaseService, Janitor } from '@agents/core';
import { ResponseEntity } from './response.entity';

@Injectable()
export class ResponsesRepository {
  constructor(
    private readonly db: DatabaseService,
    private readonly config: AppConfig,
  ) {}

  /** The user's own stored response within the retention; another user's (or an expired one) is as unknown as none. */
  findOwned(userId: string, id: string): Promise<ResponseEntity | null> {
    return this.db.manager
      .createQueryBuilder(ResponseEntity, 'r')
      .where('r.id = :id AND r.user_id = :userId', { id, userId })
      .andWhere('r.created_at > now() - make_interval(days => :days)', { days: this.config.responsesRetentionDays })
      .getOne();
  }

  async insert(response: ResponseEntity): Promise<void> {
    await this.db.manager.insert(ResponseEntity, response as QueryDeepPartialEntity<ResponseEntity>);
  }

  /** Deletes up to `limit` responses past the retention; resolves how many. */
  async purgeExpired(limit = 1000): Promise<number> {
    // A SELECT around the DELETE: TypeORM answers a bare DELETE … RETURNING with [rows, count].
    const [{ n }] = await this.db.manager.query<{ n: number }[]>(
      `WITH deleted AS (
         DELETE FROM responses WHERE id IN (
           SELECT id FROM responses WHERE created_at <= now() - make_interval(days => $1) LIMIT $2)
         RETURNING 1)
       SELECT count(*)::int AS n FROM deleted`,
      [this.config.responsesRetentionDays, limit],
    );
    return n;
  }
}

/** Every ten minutes, deletes stored responses past RESPONSES_RETENTION_DAYS. */
@Injectable()
export class ResponsesJanitor extends Janitor {
  constructor(private readonly responses: ResponsesRepository) {
    super('expired stored responses');
  }

  protected purgeBatch(): Promise<number> {
    return this.responses.purgeExpired();
  }
}
