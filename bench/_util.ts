import { median } from '@passage/core';

/** Median of numbers (core's). */
export { median };

/** Runs `fn` `n` times and returns the median of its returned values. */
export async function medianOf(n: number, fn: () => Promise<number> | number): Promise<number> {
  const v: number[] = [];
  for (let i = 0; i < n; i++) v.push(await fn());
  return median(v);
}
