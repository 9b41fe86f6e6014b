/** Median of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `fn` `n` times and returns the median of its returned values. */
export async function medianOf(n: number, fn: () => Promise<number> | number): Promise<number> {
  const v: number[] = [];
  for (let i = 0; i < n; i++) v.push(await fn());
  return median(v);
}
