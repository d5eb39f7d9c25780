import { systemClock, type Clock } from '../internal/clock.js';
import { integer, number } from '../internal/validate.js';

/** Options of {@link RetryBudget}. */
export interface RetryBudgetOptions {
  /**
   * Retries allowed as a fraction of calls in the window: `0.2` lets retries add at most 20 % load.
   * Range: `0` to `1000` (values above 1 allow several retries per call).
   * @default 0.2
   */
  readonly ratio?: number;
  /**
   * Retries always allowed per window, whatever the ratio, so a service with little traffic can still
   * retry. Minimum: `0`.
   * @default 10
   */
  readonly minRetriesPerWindow?: number;
  /**
   * The sliding window in milliseconds over which calls and retries are counted (in ten slots).
   * Minimum: `10`.
   * @default 10000
   */
  readonly windowMs?: number;
  /**
   * The clock, injectable for tests.
   * @default the system clock
   */
  readonly clock?: Clock;
}

const SLOTS = 10;

/**
 * A retry budget shared by many calls, so a failing dependency does not get a retry storm: over a
 * sliding window, retries may be at most `minRetriesPerWindow + ratio × calls`. When the budget is
 * spent, failing calls stop retrying at once with a `RetryExhaustedError` whose `reason` is `budget`.
 *
 * @example
 * ```ts
 * const budget = new RetryBudget({ ratio: 0.2, windowMs: 10_000 });
 * const email = new RetryService({ budget });
 * const thumbnails = new RetryService({ budget }); // shares the same allowance
 * ```
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #minRetries: number;
  readonly #slotMs: number;
  readonly #clock: Clock;
  readonly #calls = new Array<number>(SLOTS).fill(0);
  readonly #retries = new Array<number>(SLOTS).fill(0);
  #slot = -1;

  constructor(options: RetryBudgetOptions = {}) {
    this.#ratio = number('ratio', options.ratio ?? 0.2, 0, 1000);
    this.#minRetries = integer('minRetriesPerWindow', options.minRetriesPerWindow ?? 10, 0);
    this.#slotMs = number('windowMs', options.windowMs ?? 10_000, 10) / SLOTS;
    this.#clock = options.clock ?? systemClock;
  }

  #advance(): number {
    const slot = Math.floor(this.#clock.now() / this.#slotMs);
    if (this.#slot === -1) this.#slot = slot;
    const steps = Math.min(slot - this.#slot, SLOTS);
    for (let i = 1; i <= steps; i++) {
      const index = (this.#slot + i) % SLOTS;
      this.#calls[index] = 0;
      this.#retries[index] = 0;
    }
    if (slot > this.#slot) this.#slot = slot;
    return this.#slot % SLOTS;
  }

  /** Counts one call (a first attempt). The retry loop calls this; call it yourself only when sharing by hand. */
  recordCall(): void {
    const index = this.#advance();
    this.#calls[index] = (this.#calls[index] ?? 0) + 1;
  }

  /** Takes one retry from the budget if it allows one; returns whether it did. */
  tryAcquireRetry(): boolean {
    const index = this.#advance();
    let calls = 0;
    let retries = 0;
    for (let i = 0; i < SLOTS; i++) {
      calls += this.#calls[i] ?? 0;
      retries += this.#retries[i] ?? 0;
    }
    if (retries + 1 > this.#minRetries + this.#ratio * calls) return false;
    this.#retries[index] = (this.#retries[index] ?? 0) + 1;
    return true;
  }

  /** Calls and retries counted in the current window. */
  status(): { readonly calls: number; readonly retries: number; readonly available: number } {
    this.#advance();
    let calls = 0;
    let retries = 0;
    for (let i = 0; i < SLOTS; i++) {
      calls += this.#calls[i] ?? 0;
      retries += this.#retries[i] ?? 0;
    }
    return { calls, retries, available: Math.max(0, Math.floor(this.#minRetries + this.#ratio * calls - retries)) };
  }
}
