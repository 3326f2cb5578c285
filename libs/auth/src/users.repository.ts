import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DatabaseService, containsPattern } from '@agents/core';
import { UserEntity, type UserRole } from './user.entity';

const FIRST_USER_LOCK = 7_240_112;

@Injectable()
export class UsersRepository {
  constructor(private readonly db: DatabaseService) {}

  /** Every authenticated request's lookup: a prepared statement. */
  findById(id: string): Promise<UserEntity | null> {
    return this.db.getOnePrepared(this.db.manager.createQueryBuilder(UserEntity, 'u').where('u.id = :id', { id }));
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.db.manager
      .createQueryBuilder(UserEntity, 'u')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
  }

  /**
   * Inserts a user; the first user ever becomes ADMIN. The advisory lock makes "first" exact even
   * when two registrations race.
   */
  createWithFirstAdmin(user: { email: string; name: string; passwordHash: string }): Promise<UserEntity> {
    return this.db.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [FIRST_USER_LOCK]);
      const [{ exists }] = await m.query<[{ exists: boolean }]>('SELECT EXISTS (SELECT 1 FROM users) AS exists');
      const role: UserRole = exists ? 'USER' : 'ADMIN';
      const now = new Date();
      return m.save(m.create(UserEntity, { ...user, role, createdAt: now, updatedAt: now }));
    });
  }

  findByIds(ids: string[], m: EntityManager = this.db.manager): Promise<UserEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return m.createQueryBuilder(UserEntity, 'u').where('u.id = ANY(:ids)', { ids }).getMany();
  }

  /** Users whose name or email contains `q` (case-insensitive), for sharing dialogs. */
  search(q: string, limit: number): Promise<UserEntity[]> {
    return this.db.manager
      .createQueryBuilder(UserEntity, 'u')
      .where('(u.name ILIKE :pattern OR u.email ILIKE :pattern)', { pattern: containsPattern(q) })
      .orderBy('lower(u.name)', 'ASC')
      .limit(limit)
      .getMany();
  }
}
