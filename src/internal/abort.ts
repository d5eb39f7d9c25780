import { startTimer, type Clock } from './clock.js';

/** The reason an aborted signal carries (an `AbortError` DOMException when none was given). */
export function abortReason(signal: AbortSignal): unknown {
  let reason: unknown;
  try {
    reason = signal.reason;
  } catch {
    // a polyfill's getter that throws: the standard reason instead
  }
  return reason ?? new DOMException('This operation was aborted', 'AbortError');
}

let never: AbortSignal | undefined;
/** A shared signal that never aborts, for operations called without one. */
export function neverAbortedSignal(): AbortSignal {
  return (never ??= new AbortController().signal);
}

const resolved = Promise.resolve();

/**
 * Settles as `pending` does, or rejects with the signal's reason as soon as it aborts (at once if it
 * has), whichever comes first; `onAbort` runs with the reason in that case (what it throws is dropped). The listener is removed
 * either way. `pending` itself is not stopped: a late result is ignored.
 */
export function untilAborted<T>(pending: Promise<T>, signal: AbortSignal | undefined, onAbort?: (reason: unknown) => void): Promise<T> {
  if (signal === undefined) return pending;
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      const reason = abortReason(signal);
      reject(reason);
      try {
        onAbort?.(reason);
      } catch {
        // The caller's bookkeeping failing on a hostile reason must not escape into the signal's
        // dispatch (an uncaught exception); the promise has its outcome already.
      }
    };
    if (signal.aborted) {
      pending.catch(() => undefined);
      abort();
      return;
    }
    signal.addEventListener('abort', abort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

/**
 * Resolves after `ms` on `clock` (at once, without a timer, for `0`); rejects at once with the
 * signal's reason when it aborts (or has). The timer and the listener are both released either way.
 */
export function sleep(ms: number, clock: Clock, signal?: AbortSignal, unref = false): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return resolved;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(abortReason(signal as AbortSignal));
    };
    const timer = startTimer(
      clock,
      ms,
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      unref,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
