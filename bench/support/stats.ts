/** The `p`th percentile of ascending `sorted` values, nearest rank (no interpolation). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

export function stats(values: number[]): Stats {
  if (values.length === 0) return { n: 0, p50: NaN, p99: NaN, mean: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sum / sorted.length,
    max: sorted[sorted.length - 1],
  };
}

/** Request latencies (ms, rounded to µs) and the throughput they made over `wallMs`. */
export interface LatencyStats {
  requests: number;
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  rps: number;
}

export function latencyStats(latencies: number[], wallMs: number): LatencyStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    requests: sorted.length,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    mean: round(sorted.reduce((s, x) => s + x, 0) / sorted.length),
    min: round(sorted[0]),
    max: round(sorted[sorted.length - 1]),
    rps: Math.round((sorted.length / wallMs) * 1000 * 10) / 10,
  };
}
