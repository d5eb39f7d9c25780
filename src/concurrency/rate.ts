import type { RateLimit } from './options.js';
import { integer, number } from '../internal/validate.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { StartWindow } from '../internal/rate-window.js';

/** @internal What the scheduler asks of a rate limit: a wait, a start recorded, and whether it can be forgotten. */
export interface StartLimit {
  wait(now: number): number;
  record(now: number): void;
  stale(now: number): boolean;
}

/** @internal The limit a `RateLimit` describes: a sliding window, or a token bucket with `burst`. */
export function startLimit(rate: RateLimit): StartLimit {
  return rate.burst === undefined ? new StartWindow(rate.limit, rate.intervalMs) : new TokenBucket(rate.limit, rate.intervalMs, rate.burst);
}

/**
 * @internal A token bucket: `capacity` tokens, refilled continuously at `limit` per `intervalMs`; a
 * start takes one. Starts full.
 */
export class TokenBucket implements StartLimit {
  readonly #capacity: number;
  /** Tokens per millisecond. */
  readonly #rate: number;
  #tokens: number;
  #at = Number.NEGATIVE_INFINITY;

  constructor(limit: number, intervalMs: number, capacity: number) {
    this.#capacity = capacity;
    this.#rate = limit / intervalMs;
    this.#tokens = capacity;
  }

  #refill(now: number): void {
    if (this.#at !== Number.NEGATIVE_INFINITY && now > this.#at) this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#at) * this.#rate);
    this.#at = now;
  }

  wait(now: number): number {
    this.#refill(now);
    // A hair of tolerance: 1e-9 tokens short is floating-point dust, not a reason to wait a millisecond.
    return this.#tokens >= 1 - 1e-9 ? 0 : (1 - this.#tokens) / this.#rate;
  }

  record(now: number): void {
    this.#refill(now);
    this.#tokens = Math.max(0, this.#tokens - 1);
  }

  stale(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.#capacity - 1e-9;
  }
}

/** @internal Validates a `RateLimit` option. */
export function rateLimit(name: string, value: RateLimit | undefined): RateLimit | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new InvalidOptionError(name, 'an object `{ limit, intervalMs }`', value);
  const limit = integer(`${name}.limit`, value.limit, 1, 10_000_000);
  const intervalMs = number(`${name}.intervalMs`, value.intervalMs, 1, Number.MAX_SAFE_INTEGER);
  if (value.burst === undefined) return { limit, intervalMs };
  return { limit, intervalMs, burst: integer(`${name}.burst`, value.burst, 1, 10_000_000) };
}
