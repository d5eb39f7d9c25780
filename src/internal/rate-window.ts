import { abortReason } from './abort.js';
import { startTimer, type Clock, type Timer } from './clock.js';

interface Waiter {
  readonly resolve: () => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * @internal A sliding window over the last `limit` start times: a start is allowed once the oldest
 * of them is `intervalMs` old, so no window of `intervalMs` ever holds more than `limit` starts.
 */
export class StartWindow {
  readonly #starts: number[] = [];
  #next = 0;
  readonly limit: number;
  readonly intervalMs: number;

  constructor(limit: number, intervalMs: number) {
    this.limit = limit;
    this.intervalMs = intervalMs;
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

/**
 * At most `limit` starts in any `intervalMs` (a {@link StartWindow}): `take()` resolves when a start
 * is allowed, in call order. A timer runs only while someone waits, so an idle window never keeps a
 * process alive.
 */
export class RateWindow {
  readonly #window: StartWindow;
  readonly #clock: Clock;
  readonly #waiters: Waiter[] = [];
  #timer: Timer | undefined;

  constructor(limit: number, intervalMs: number, clock: Clock) {
    this.#window = new StartWindow(limit, intervalMs);
    this.#clock = clock;
  }

  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    const now = this.#clock.now();
    if (this.#waiters.length === 0 && this.#window.wait(now) === 0) {
      this.#window.record(now);
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
    this.#timer = startTimer(this.#clock, this.#window.wait(this.#clock.now()), () => {
      this.#timer = undefined;
      const now = this.#clock.now();
      while (this.#waiters.length > 0 && this.#window.wait(now) === 0) {
        const waiter = this.#waiters.shift() as Waiter;
        if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        this.#window.record(now);
        waiter.resolve();
      }
      this.#arm();
    });
  }
}
