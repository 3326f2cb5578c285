/**
 * Writes of one module that ride along in another module's statement as data-modifying CTEs, so
 * rows that must change together do so in one round trip, atomically, without a transaction.
 * PostgreSQL runs every data-modifying CTE of a statement exactly once, whether or not the main
 * query reads it.
 *
 * `ctes` is a comma-separated list of `name AS (…)` whose parameters are numbered from `first`
 * (the statement's own come before); `params` are their values in that order. Names must not
 * clash with the host statement's: prefix them with the module's name.
 */
export type CteWrites = (first: number) => { ctes: string; params: unknown[] };

/** A statement of nothing but `writes`. */
export function cteStatement(writes: CteWrites): { sql: string; params: unknown[] } {
  const { ctes, params } = writes(1);
  return { sql: `WITH ${ctes} SELECT 1`, params };
}
