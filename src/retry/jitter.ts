/**
 * How the computed backoff is randomised so that many callers failing together do not retry together:
 * - `none`: exactly the exponential delay;
 * - `full`: uniform in `[0, delay)` (AWS "full jitter": the least total work, but may retry at once);
 * - `equal`: uniform in `[delay / 2, delay)` — **the default**: it spreads a thundering herd over
 *   half the window while guaranteeing every wait is at least half the nominal delay, so a busy file
 *   or a restarting database always gets breathing room;
 * - `decorrelated`: uniform in `[initialDelayMs, previous * 3)`, capped (AWS "decorrelated jitter").
 */
export type JitterStrategy = 'none' | 'full' | 'equal' | 'decorrelated';

/** The jitter strategies, for validation and documentation. */
export const JITTER_STRATEGIES: readonly JitterStrategy[] = ['none', 'full', 'equal', 'decorrelated'];

/**
 * Applies a jitter strategy. Pure given `random` (a source of numbers in `[0, 1)`); the result is
 * rounded to whole milliseconds and never exceeds `maxDelayMs`.
 *
 * @param delay - the exponential delay for this retry (already capped).
 * @param previous - the delay actually waited before the previous retry (`initialDelayMs` for the first).
 */
export function applyJitter(
  strategy: JitterStrategy,
  delay: number,
  previous: number,
  initialDelayMs: number,
  maxDelayMs: number,
  random: () => number,
): number {
  switch (strategy) {
    case 'none':
      return Math.round(delay);
    case 'full':
      return Math.floor(random() * delay);
    case 'equal':
      return Math.floor(delay / 2 + (random() * delay) / 2);
    case 'decorrelated': {
      const upper = Math.max(initialDelayMs, previous * 3);
      const value = initialDelayMs + random() * (upper - initialDelayMs);
      return Math.floor(value < maxDelayMs ? value : maxDelayMs);
    }
  }
}
