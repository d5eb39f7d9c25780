import type { Clock } from './clock.js';

/** The reason an aborted signal carries (an `AbortError` DOMException when none was given). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

let never: AbortSignal | undefined;
/** A shared signal that never aborts, for operations called without one. */
export function neverAbortedSignal(): AbortSignal {
  return (never ??= new AbortController().signal);
}

/**
 * Resolves after `ms` on `clock`; rejects at once with the signal's reason when it aborts (or has).
 * The timer and the listener are both released either way.
 */
export function sleep(ms: number, clock: Clock, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(abortReason(signal as AbortSignal));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
