import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

/** Postgres SQLSTATE classes and Node socket errors that mean "the database is not reachable". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300', // too_many_connections
]);

/** SQLSTATEs and socket errors of a connection that was working and was cut. */
const CONNECTION_LOST_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  '57P01', // admin_shutdown: pg_terminate_backend, a server restart
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting or stopping
  '08003', // connection_does_not_exist
  '08006', // connection_failure
]);

/** The `pg` driver's words for a connection that died under it (or one it already gave up for that). */
const CONNECTION_LOST_MESSAGE =
  /Connection terminated unexpectedly|Client has encountered a connection error|Client was closed and is not queryable/i;

/**
 * True when the database connection was lost under a statement (a terminated backend, a reset
 * socket) rather than the statement being wrong: the same statement on a new connection may well
 * succeed. A subset of {@link isDatabaseUnavailable}.
 */
export function isConnectionLost(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  // TypeORM releases a query runner by itself only when its connection emitted `error`: a
  // transaction that finds its runner released mid-way has lost the connection under it.
  if (e instanceof QueryRunnerAlreadyReleasedError || e instanceof QueryRunnerProviderAlreadyReleasedError) return true;
  const err = e as { code?: unknown; driverError?: unknown; message?: unknown };
  if (typeof err.code === 'string' && CONNECTION_LOST_CODES.has(err.code)) return true;
  if (err.driverError) return isConnectionLost(err.driverError);
  return typeof err.message === 'string' && CONNECTION_LOST_MESSAGE.test(err.message);
}

export function isDatabaseUnavailable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  if (isConnectionLost(e)) return true;
  const err = e as { code?: unknown; driverError?: unknown; message?: unknown };
  if (typeof err.code === 'string' && UNAVAILABLE_CODES.has(err.code)) return true;
  if (err.driverError) return isDatabaseUnavailable(err.driverError);
  return (
    typeof err.message === 'string' &&
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      err.message,
    )
  );
}

/** True for Postgres unique_violation (23505), optionally on a given constraint. */
export function isUniqueViolation(e: unknown, constraint?: string): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: unknown; constraint?: unknown; driverError?: unknown };
  if (err.code === '23505') return constraint === undefined || err.constraint === constraint;
  return err.driverError ? isUniqueViolation(err.driverError, constraint) : false;
}

/** True for Postgres foreign_key_violation (23503), optionally on a given constraint. */
export function isForeignKeyViolation(e: unknown, constraint?: string): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: unknown; constraint?: unknown; driverError?: unknown };
  if (err.code === '23503') return constraint === undefined || err.constraint === constraint;
  return err.driverError ? isForeignKeyViolation(err.driverError, constraint) : false;
}
