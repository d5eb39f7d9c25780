/**
 * The source of time bulwark uses: injectable so tests run with fake timers or a fake clock and
 * assert exact delays. The default reads the globals on every call, so `vi.useFakeTimers()` and
 * `@sinonjs/fake-timers` work without passing anything.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin, never going backwards; only differences are used. */
  now(): number;
  /** Schedules `callback` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a callback scheduled with `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock: monotonic `performance.now()` (a wall-clock change never shortens or stretches a
 * backoff or a budget), `setTimeout`, `clearTimeout`, all looked up at call time.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** The longest delay a Node or browser timer honours; longer ones fire after ~1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** @internal A cancellable timer of any length (chained past `MAX_TIMER_MS`), optionally `unref`'d. */
export interface Timer {
  cancel(): void;
}

/**
 * @internal Calls `callback` after `ms` on `clock`, chaining timers for delays above 2^31 − 1 ms
 * (a 30-day timeout must not fire after 1 ms). With `unref`, the timer never keeps the process alive.
 */
export function startTimer(clock: Clock, ms: number, callback: () => void, unref = false): Timer {
  let handle: unknown;
  let cancelled = false;
  const arm = (remaining: number): void => {
    const step = remaining > MAX_TIMER_MS ? MAX_TIMER_MS : remaining;
    handle = clock.setTimeout(() => {
      if (cancelled) return;
      if (remaining > step) arm(remaining - step);
      else callback();
    }, step);
    if (unref) (handle as { unref?: () => void } | undefined)?.unref?.();
  };
  arm(ms);
  return {
    cancel: () => {
      cancelled = true;
      clock.clearTimeout(handle);
    },
  };
}
