/**
 * The exponential backoff before retry number `retry` (1 = the wait after the first failed attempt):
 * `min(maxDelayMs, initialDelayMs * factor ** (retry - 1))`. Pure: no timers, no randomness.
 *
 * @example
 * ```ts
 * [1, 2, 3, 4, 5].map((n) => exponentialDelay(n, 1000, 2, 10_000)); // [1000, 2000, 4000, 8000, 10000]
 * ```
 */
export function exponentialDelay(retry: number, initialDelayMs: number, factor: number, maxDelayMs: number): number {
  const delay = initialDelayMs * factor ** (retry - 1);
  return delay < maxDelayMs ? delay : maxDelayMs;
}
