/**
 * The source of time bulwark uses: injectable so tests run with fake timers or a fake clock and
 * assert exact delays. The default reads the globals on every call, so `vi.useFakeTimers()` and
 * `@sinonjs/fake-timers` work without passing anything.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin; only differences are used. */
  now(): number;
  /** Schedules `callback` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a callback scheduled with `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now`, `setTimeout`, `clearTimeout`, looked up at call time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};
