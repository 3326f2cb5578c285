import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { stats } from './stats';

/** Before each phase: wait for the machine to be below this busy % (of one core) … */
const QUIET_MAX_BUSY = 30;
/** … but no longer than this; the phase then runs anyway and the table shows how busy others kept the machine. */
const QUIET_WAIT_MS = Number(process.env.BENCH_QUIET_WAIT_MS ?? 15_000);

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process in clock ticks, or null when it is gone. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine. */
function machineTicks(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const numbers = values.map(Number);
  const total = numbers.reduce((s, v) => s + v, 0);
  const idle = numbers[3] + (numbers[4] ?? 0);
  return { busy: total - idle, total };
}

export interface Watched {
  name: string;
  pids: () => number[] | Promise<number[]>;
}

interface CpuSnapshot {
  at: number;
  ticks: Map<string, Map<number, number>>;
  client: NodeJS.CpuUsage;
  machine: { busy: number; total: number };
}

/** CPU use during a phase. */
export interface CpuReport {
  /** % of one core per process (the machine has cpuCount() × 100 %); `client` is this process. */
  percent: Record<string, number>;
  /** CPU milliseconds per process. */
  ms: Record<string, number>;
  /** The whole machine, and what was left for processes that are not the bench's (other people's work). */
  machine: number;
  others: number;
  clientLoopP99Ms: number;
  clientLoopMaxMs: number;
}

/** Reads the CPU time of the service's processes, this client and the machine around a phase. */
export class CpuMeter {
  private readonly loop = monitorEventLoopDelay({ resolution: 5 });
  constructor(private readonly watched: Watched[]) {
    this.loop.enable();
  }

  /** Starts a measurement: reads every counter and resets the client's event-loop delay histogram. */
  async snapshot(): Promise<CpuSnapshot> {
    const snapshot = await this.read();
    this.loop.reset();
    return snapshot;
  }

  private async read(): Promise<CpuSnapshot> {
    const ticks = new Map<string, Map<number, number>>();
    for (const w of this.watched) {
      const own = new Map<number, number>();
      for (const pid of await w.pids()) {
        const t = cpuTicks(pid);
        if (t !== null) own.set(pid, t);
      }
      ticks.set(w.name, own);
    }
    return { at: performance.now(), ticks, client: process.cpuUsage(), machine: machineTicks() };
  }

  async since(before: CpuSnapshot): Promise<CpuReport> {
    const after = await this.read();
    const seconds = (after.at - before.at) / 1000;
    const ms: Record<string, number> = {};
    for (const w of this.watched) {
      let ticks = 0;
      // A process that appeared meanwhile (a pool connection's backend) counts from zero; one that
      // ended meanwhile is missed.
      for (const [pid, a] of after.ticks.get(w.name) ?? []) ticks += a - (before.ticks.get(w.name)?.get(pid) ?? 0);
      ms[w.name] = (ticks * 1000) / CLOCK_TICKS;
    }
    const client = process.cpuUsage(before.client);
    ms.client = (client.user + client.system) / 1000;
    const percent = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round(v / seconds / 10)]));
    const machine = Math.round(
      ((after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total)) * 100 * cpuCount(),
    );
    const ours = Object.values(percent).reduce((s, v) => s + v, 0);
    return {
      percent,
      ms,
      machine,
      others: Math.max(0, machine - ours),
      clientLoopP99Ms: Math.round(this.loop.percentile(99) / 1e5) / 10,
      clientLoopMaxMs: Math.round(this.loop.max / 1e5) / 10,
    };
  }
}

/** % of one core the whole machine is busy with over `ms`. */
async function machineBusy(ms: number): Promise<number> {
  const a = machineTicks();
  await sleep(ms);
  const b = machineTicks();
  return ((b.busy - a.busy) / (b.total - a.total)) * 100 * cpuCount();
}

/**
 * Waits (up to QUIET_WAIT_MS, or `maxWaitMs` when that is shorter) until the machine is nearly idle
 * between phases, so that other people's builds and tests on a shared box do not decide the numbers.
 * Returns how long it waited and the last reading.
 */
export async function waitForQuiet(maxWaitMs = QUIET_WAIT_MS): Promise<{ waitedMs: number; busy: number }> {
  const limit = Math.min(maxWaitMs, QUIET_WAIT_MS);
  const t0 = performance.now();
  let busy = await machineBusy(1_000);
  while (busy > QUIET_MAX_BUSY && performance.now() - t0 < limit) busy = await machineBusy(1_000);
  return { waitedMs: Math.round(performance.now() - t0), busy: Math.round(busy) };
}

export function cpuCount(): number {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d+ /.test(l)).length;
}

function vmRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

/** The median of a few RSS readings, so one GC does not decide the result. */
export async function steadyRssKb(pid: number, samples = 7, everyMs = 200): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(vmRssKb(pid));
    await sleep(everyMs);
  }
  return stats(values).p50;
}
