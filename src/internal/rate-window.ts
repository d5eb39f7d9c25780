import { abortReason } from './abort.js';
import { startTimer, type Clock, type Timer } from './clock.js';

interface Waiter {
  readonly resolve: () => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * At most `limit` starts in any `intervalMs` (a sliding window over the last `limit` start times):
 * `take()` resolves when a start is allowed, in call order. A timer runs only while someone waits,
 * so an idle window never keeps a process alive.
 */
export class RateWindow {
  readonly #limit: number;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  /** Ring of the last `limit` start times. */
  readonly #starts: number[];
  #next = 0;
  #count = 0;
  readonly #waiters: Waiter[] = [];
  #timer: Timer | undefined;

  constructor(limit: number, intervalMs: number, clock: Clock) {
    this.#limit = limit;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#starts = new Array<number>(limit).fill(0);
  }

  /** Milliseconds until a start is allowed (0: now). */
  #wait(now: number): number {
    if (this.#count < this.#limit) return 0;
    const oldest = this.#starts[this.#next] as number;
    return Math.max(0, oldest + this.#intervalMs - now);
  }

  #record(now: number): void {
    this.#starts[this.#next] = now;
    this.#next = (this.#next + 1) % this.#limit;
    if (this.#count < this.#limit) this.#count++;
  }

  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    const now = this.#clock.now();
    if (this.#waiters.length === 0 && this.#wait(now) === 0) {
      this.#record(now);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index !== -1) this.#waiters.splice(index, 1);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#arm();
    });
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#waiters.length === 0) return;
    this.#timer = startTimer(this.#clock, this.#wait(this.#clock.now()), () => {
      this.#timer = undefined;
      const now = this.#clock.now();
      while (this.#waiters.length > 0 && this.#wait(now) === 0) {
        const waiter = this.#waiters.shift() as Waiter;
        if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        this.#record(now);
        waiter.resolve();
      }
      this.#arm();
    });
  }
}
