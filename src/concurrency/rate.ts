import type { RateLimit } from './options.js';
import { integer, number } from '../internal/validate.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';

/**
 * @internal A sliding window over the last `limit` start times: a start is allowed once the oldest
 * of them is `intervalMs` old, so no window of `intervalMs` ever holds more than `limit` starts.
 */
export class StartWindow {
  readonly #starts: number[] = [];
  #next = 0;
  readonly limit: number;
  readonly intervalMs: number;

  constructor(rate: RateLimit) {
    this.limit = rate.limit;
    this.intervalMs = rate.intervalMs;
  }

  /** Milliseconds until a start is allowed at `now` (0: now). */
  wait(now: number): number {
    if (this.#starts.length < this.limit) return 0;
    const oldest = this.#starts[this.#next] as number;
    const wait = oldest + this.intervalMs - now;
    return wait > 0 ? wait : 0;
  }

  record(now: number): void {
    if (this.#starts.length < this.limit) {
      this.#starts.push(now);
      return;
    }
    this.#starts[this.#next] = now;
    this.#next = this.#next + 1 === this.limit ? 0 : this.#next + 1;
  }

  /** Whether every recorded start has left the window (the window can be forgotten). */
  stale(now: number): boolean {
    const count = this.#starts.length;
    if (count === 0) return true;
    const newest = this.#starts[count < this.limit ? count - 1 : (this.#next + this.limit - 1) % this.limit] as number;
    return newest + this.intervalMs <= now;
  }
}

/** @internal Validates a `RateLimit` option. */
export function rateLimit(name: string, value: RateLimit | undefined): RateLimit | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new InvalidOptionError(name, 'an object `{ limit, intervalMs }`', value);
  return {
    limit: integer(`${name}.limit`, value.limit, 1, 10_000_000),
    intervalMs: number(`${name}.intervalMs`, value.intervalMs, 1, Number.MAX_SAFE_INTEGER),
  };
}
