/**
 * @internal Cooperative time slicing for the CPU-bound drawing code: `tick()` is cheap to call often
 * and yields to the event loop (`setImmediate`) once a slice has lasted `sliceMs`, so no single
 * render blocks other requests for long, whatever the input.
 */
export class Budget {
  readonly #sliceMs: number;
  #start = performance.now();
  #work = 0;
  #stopped: { readonly reason: unknown } | undefined;

  constructor(sliceMs = 8) {
    this.#sliceMs = sliceMs;
  }

  /**
   * Returns `undefined` (synchronously cheap) unless the slice is used up; then a promise that
   * resolves after a yield. `work` is a rough count of the elementary steps done since the last
   * call (edges crossed, points visited): the clock (~50 ns) is read once per ~64 steps, so a
   * caller whose single step is expensive still yields on time. Throws the reason once `stop`ped.
   */
  tick(work = 1): Promise<void> | undefined {
    if (this.#stopped !== undefined) throw this.#stopped.reason;
    this.#work += work;
    if (this.#work < 64) return undefined;
    this.#work = 0;
    if (performance.now() - this.#start < this.#sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.#start = performance.now();
        resolve();
      }),
    );
  }

  /**
   * Makes every later `tick()` throw `reason`: the work it paces is no longer wanted (the image it
   * draws on failed to decode). The first reason wins.
   */
  stop(reason: unknown): void {
    this.#stopped ??= { reason };
  }
}
