import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type CpuReport, cpuCount } from './cpu';
import type { Stats } from './stats';

/** Milliseconds with one decimal, right-aligned in `width` ('-' when not a number). */
export const ms = (v: number, width = 8): string => (Number.isFinite(v) ? v.toFixed(1) : '-').padStart(width);

/** What the streaming benches compare: a phase through the service against the same straight from the stand-in. */
export interface Comparison {
  service: { ttft: Stats; itl: Stats };
  direct: { ttft: Stats; itl: Stats };
  addedTtftP50: number;
  addedTtftP99: number;
  addedItlP50: number;
  addedItlP99: number;
}

/** Prints the time to first token and the inter-token delay, each side and added by the service. */
export function printLatencies(l: Comparison): void {
  const s = l.service;
  const d = l.direct;
  console.log(
    `TTFT ms      service p50 ${ms(s.ttft.p50)} p99 ${ms(s.ttft.p99)} | direct p50 ${ms(d.ttft.p50)} p99 ${ms(d.ttft.p99)}` +
      ` | added p50 ${ms(l.addedTtftP50)} p99 ${ms(l.addedTtftP99)}`,
  );
  console.log(
    `ITL ms       service p50 ${ms(s.itl.p50)} p99 ${ms(s.itl.p99)} | direct p50 ${ms(d.itl.p50)} p99 ${ms(d.itl.p99)}` +
      ` | added p50 ${ms(l.addedItlP50)} p99 ${ms(l.addedItlP99)}`,
  );
}

/** `errors service N direct M`, with up to 300 characters of examples. */
export function errorsPart(
  s: { errors: number; errorExamples: string[] },
  d: { errors: number; errorExamples: string[] },
): string {
  return (
    `errors service ${s.errors} direct ${d.errors}` +
    (s.errorExamples.length + d.errorExamples.length > 0
      ? ` (${[...s.errorExamples, ...d.errorExamples].join('; ').slice(0, 300)})`
      : '')
  );
}

/** CPU % of one core per process during a phase (those the meter watched), the machine's, and the client's event-loop delay. */
export function cpuLine(c: CpuReport, options: { loopMax: boolean }): string {
  const labels: Record<string, string> = { standIn: 'stand-in' };
  const order = ['api', 'worker', 'standIn', 'redis', 'postgres', 'client'];
  const names = Object.keys(c.percent).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return (
    `${names.map((n) => `${labels[n] ?? n} ${c.percent[n]}%`).join(' ')}; machine ${c.machine}%/${cpuCount() * 100}% ` +
    `of which others ${c.others}%; client loop delay p99 ${c.clientLoopP99Ms} ms` +
    (options.loopMax ? ` max ${c.clientLoopMaxMs} ms` : '')
  );
}

/** Writes a bench's results as JSON (under bench/.results, git-ignored) and says where, with the run's duration. */
export function writeResults(file: string, results: unknown, startedAt: number): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results written to ${file}; total ${((performance.now() - startedAt) / 1000).toFixed(1)}s`);
}
