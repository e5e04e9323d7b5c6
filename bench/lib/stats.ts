// Small statistics for the benchmark's figures.

/** The middle value (the mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The nearest-rank percentile `p` (0–100) of values sorted ascending; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * When a cumulative count first reached `target`, interpolated between the (time, count)
 * points around it; undefined when it never did.
 */
export function crossing(points: ReadonlyArray<readonly [t: number, n: number]>, target: number): number | undefined {
  for (let i = 0; i < points.length; i++) {
    const [t, n] = points[i]!;
    if (n < target) continue;
    if (i === 0) return t;
    const [t0, n0] = points[i - 1]!;
    return t0 + ((target - n0) / (n - n0)) * (t - t0);
  }
  return undefined;
}
