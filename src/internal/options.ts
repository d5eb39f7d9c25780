/** The one option every cancellable call takes. */
export interface SignalOptions {
  /**
   * Cancels the call: work not started never starts, waits end at once, and the promise rejects with
   * the signal's `reason`. Passed on to the operation so it can stop what it started.
   * @default undefined
   */
  readonly signal?: AbortSignal;
}
