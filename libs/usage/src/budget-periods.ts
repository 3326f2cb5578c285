import type { BudgetPeriod } from './usage.repository';

/** The UTC day and month `now` falls in, as YYYY-MM-DD starts, and when each ends. */
export interface PeriodBounds {
  dayStart: string;
  monthStart: string;
  dayEnds: Date;
  monthEnds: Date;
}

export function periodBounds(now: Date): PeriodBounds {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  return {
    dayStart: isoDay(new Date(Date.UTC(y, m, d))),
    monthStart: isoDay(new Date(Date.UTC(y, m, 1))),
    dayEnds: new Date(Date.UTC(y, m, d + 1)),
    monthEnds: new Date(Date.UTC(y, m + 1, 1)),
  };
}

export function resetOf(bounds: PeriodBounds, period: BudgetPeriod): Date {
  return period === 'daily' ? bounds.dayEnds : bounds.monthEnds;
}

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
