/**
 * Reading PostgreSQL plans: EXPLAIN (ANALYZE, BUFFERS) of a query, summarised as the facts a keyset
 * list's cost depends on (indexes used, Seq Scans, Sort size, rows touched, OFFSET, buffers, time).
 */
import type { DataSource } from 'typeorm';

export interface PlanReport {
  sql: string;
  parameters: unknown[];
  plan: string[];
  /** Indexes the plan reads, from (Bitmap) Index (Only) Scan nodes. */
  indexes: string[];
  usesOffset: boolean;
  /** Seq Scan nodes, e.g. `group_members (never executed)`. */
  seqScans: string[];
  /** Rows the Sort node sorts (0 when there is none): a page's worth at most, never all rows. */
  sortedRows: number;
  /** The most rows any node produced (rows × loops): bounded by the page, not by the table. */
  maxNodeRows: number;
  rowsRemovedByFilter: number;
  /** Whether the keyset condition is an Index Cond; null when the query has none (first page). */
  rowCompareIsIndexCond: boolean | null;
  sharedBuffers: number;
  planningMs: number;
  executionMs: number;
}

/** Rows removed by filters over the whole plan: EXPLAIN reports them per loop of their node. */
function removedByFilter(plan: string[]): number {
  let loops = 1;
  let total = 0;
  for (const line of plan) {
    const node = /actual time=\S+ rows=\d+ loops=(\d+)/.exec(line);
    if (node) loops = Number(node[1]);
    const removed = /Rows Removed by Filter: (\d+)/.exec(line);
    if (removed) total += Number(removed[1]) * loops;
  }
  return total;
}

export async function explain(dataSource: DataSource, sql: string, parameters: unknown[]): Promise<PlanReport> {
  const rows: { 'QUERY PLAN': string }[] = await dataSource.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, parameters);
  const plan = rows.map((r) => r['QUERY PLAN']);
  const text = plan.join('\n');
  const indexCond = plan.filter((l) => l.includes('Index Cond:')).join('\n');
  const nodeRows = (line: string): number => {
    const m = /actual time=\S+ rows=(\d+) loops=(\d+)/.exec(line);
    return m ? Number(m[1]) * Number(m[2]) : 0;
  };
  const isNode = (line: string): boolean => /^(?:\s*->\s+)?\S.*\(cost=/.test(line);
  const sortAt = plan.findIndex((l) => /^(?:\s*->\s+)?Sort\s+\(cost=/.test(l));
  const sortInput = sortAt < 0 ? undefined : plan.slice(sortAt + 1).find(isNode);
  return {
    sql,
    parameters: parameters.map((p) => (p instanceof Date ? p.toISOString() : p)),
    plan,
    indexes: [
      ...new Set(
        [...text.matchAll(/(?:Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on) (\S+)/g)].map((m) => m[1]),
      ),
    ],
    usesOffset: /\bOFFSET\b/i.test(sql),
    seqScans: plan
      .filter((l) => /Seq Scan on /.test(l))
      .map((l) => `${/Seq Scan on (\S+)/.exec(l)?.[1]}${l.includes('never executed') ? ' (never executed)' : ''}`),
    sortedRows: sortInput === undefined ? 0 : nodeRows(sortInput),
    maxNodeRows: Math.max(...plan.map(nodeRows)),
    rowsRemovedByFilter: removedByFilter(plan),
    rowCompareIsIndexCond: /\(("a"\.)?"?updated_at"?, ("a"\.)?"?id"?\) </.test(sql)
      ? /ROW\(updated_at, \(?id\)?(?:::text)?\) </.test(indexCond)
      : null,
    sharedBuffers: Number(/Buffers: shared hit=(\d+)/.exec(text)?.[1] ?? 0) + Number(/read=(\d+)/.exec(text)?.[1] ?? 0),
    planningMs: Number(/Planning Time: ([\d.]+) ms/.exec(text)?.[1] ?? NaN),
    executionMs: Number(/Execution Time: ([\d.]+) ms/.exec(text)?.[1] ?? NaN),
  };
}

/** One line: indexes, keyset condition, OFFSET, Seq Scans, Sort, rows, buffers, execution time. */
export function planCheck(report: PlanReport): string {
  return (
    `index ${report.indexes.join(', ') || 'NONE'}; ` +
    `keyset row comparison ${
      report.rowCompareIsIndexCond === null
        ? 'n/a (no cursor)'
        : report.rowCompareIsIndexCond
          ? 'in the Index Cond'
          : 'NOT in the Index Cond'
    }; ` +
    `OFFSET ${report.usesOffset ? 'YES' : 'no'}; Seq Scan ${report.seqScans.join(', ') || 'none'}; ` +
    `Sort ${report.sortedRows > 0 ? `of ${report.sortedRows} rows` : 'none'}; ` +
    `max rows in any node ${report.maxNodeRows}; rows removed by filter ${report.rowsRemovedByFilter}; ` +
    `buffers ${report.sharedBuffers}; execution ${report.executionMs} ms`
  );
}

/** One line: indexes, Seq Scans, rows, buffers, planning and execution time. */
export function planSummary(report: PlanReport): string {
  return (
    `indexes ${report.indexes.join(', ') || 'NONE'}; Seq Scan ${report.seqScans.join(', ') || 'none'}; ` +
    `max rows in any node ${report.maxNodeRows}; rows removed by filter ${report.rowsRemovedByFilter}; ` +
    `buffers ${report.sharedBuffers}; planning ${report.planningMs} ms; execution ${report.executionMs} ms`
  );
}
