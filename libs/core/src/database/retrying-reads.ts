import type { EntityManager } from 'typeorm';
import { retryTransient } from './retry-transient';

/** The EntityManager methods that only read: safe to run again when their connection was lost. */
const READS = new Set<PropertyKey>([
  'find',
  'findBy',
  'findOne',
  'findOneBy',
  'findOneOrFail',
  'findOneByOrFail',
  'findAndCount',
  'findAndCountBy',
  'count',
  'countBy',
  'exists',
  'existsBy',
  'sum',
  'average',
  'minimum',
  'maximum',
]);

/** A statement that reads and writes nothing: a SELECT, or a WITH whose body holds no data-changing verb. */
function readOnly(sql: unknown): boolean {
  if (typeof sql !== 'string') return false;
  const text = sql.trimStart();
  if (/^select\b/i.test(text)) return !/\bfor\s+(no\s+key\s+)?update\b|\bfor\s+share\b/i.test(text);
  return /^with\b/i.test(text) && !/\b(insert|update|delete|merge)\b/i.test(text);
}

/**
 * The manager outside transactions, with its reads retried when the connection they ran on was
 * lost (a terminated backend, a failover): the pool replaces the connection and the read runs
 * again, so a request is not failed for it. Writes and transactions are left alone — a write
 * whose commit was not acknowledged is not safe to repeat blindly; those surface as a 503.
 */
export function retryingReads(manager: EntityManager): EntityManager {
  return new Proxy(manager, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (READS.has(property) || property === 'query') {
        return (...args: unknown[]) =>
          property === 'query' && !readOnly(args[0])
            ? method.apply(target, args)
            : retryTransient(() => method.apply(target, args) as Promise<unknown>);
      }
      return method.bind(target);
    },
  });
}
