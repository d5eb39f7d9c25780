import type { Clock } from '../internal/clock.js';

/** Options of `new ConcurrencyManager()`. */
export interface ConcurrencyManagerOptions {
  /**
   * How many tasks run at once. Can be changed later with the `concurrency` setter; raising it
   * starts waiting tasks at once. Minimum: `1` (`Infinity` allowed).
   * @default 5
   */
  readonly concurrency?: number;
  /**
   * How many tasks may wait in the queue (back-pressure). Beyond it, `run` rejects with a
   * `QueueFullError`, or waits for room with `whenQueueFull: 'wait'`. Minimum: `0`.
   * @default Infinity
   */
  readonly maxQueued?: number;
  /**
   * What `run` does when `maxQueued` tasks are already waiting: `reject` with a `QueueFullError`, or
   * `wait` until a place frees up (the call's promise covers the wait; its signal still aborts it).
   * @default 'reject'
   */
  readonly whenQueueFull?: 'reject' | 'wait';
  /**
   * A task that waits in the queue longer than this many milliseconds is rejected with a
   * `QueueTimeoutError` without starting. Time spent queued counts (unlike p-queue's `timeout`,
   * which starts at dequeue). `undefined`: no limit. Minimum: `1`.
   * @default undefined
   */
  readonly queueTimeoutMs?: number;
  /**
   * At most this many tasks with the same `key` (see `RunOptions.key`) run at once, within
   * `concurrency`: fairness between tenants or projects. `undefined`: keys are not limited. Minimum: `1`.
   * @default undefined
   */
  readonly concurrencyPerKey?: number;
  /**
   * How a task's nested `run` **on the manager itself** (not through its context) is recognised.
   * Awaiting such a run on a full manager would deadlock (the parent holds the slot the child waits
   * for — the p-limit trap). The reliable way needs no detection: call `context.run(child)` with the
   * context the task receives; the child then borrows the parent's slot while the parent awaits it.
   * `detect` does the same for implicit `manager.run` calls inside a task, found with
   * `AsyncLocalStorage`; `throw` rejects them with a `ReentrantRunError`. Both are opt-in because the
   * first `AsyncLocalStorage.run` turns on promise hooks for the whole process (measured on Node 20:
   * a plain `await` loop 3.5x slower, for good); `off` costs nothing.
   * @default 'off'
   */
  readonly reentrant?: 'off' | 'detect' | 'throw';
  /**
   * Start paused: tasks queue but none starts until `resume()`.
   * @default false
   */
  readonly paused?: boolean;
  /**
   * The clock for `queueTimeoutMs`, injectable for tests.
   * @default the system clock
   */
  readonly clock?: Clock;
}

/** What a task receives from `ConcurrencyManager.run`. */
export interface TaskContext {
  /** The run's `signal` (a signal that never aborts when none was given). */
  readonly signal: AbortSignal;
  /**
   * Runs a nested task on the same manager without deadlocking: it takes a free slot like any
   * caller or, while the parent awaits it, borrows the parent's slot (one nested task at a time per
   * slot), so 50 nested tasks of one parent at `concurrency: 2` run at most 2 at once. Once the
   * parent has settled, it is an ordinary `run`.
   * @example
   * ```ts
   * await limiter.run(async ({ run }) => {
   *   const image = await run(() => download(id));
   *   return resize(image);
   * });
   * ```
   */
  run<T>(fn: (context: TaskContext) => T | PromiseLike<T>, options?: RunOptions): Promise<Awaited<T>>;
}

/** Per-call options of `ConcurrencyManager.run`. */
export interface RunOptions {
  /**
   * Aborting removes the task from the queue and rejects it with the signal's reason; it never takes
   * a slot. Once started, the task is the function's to stop (pass the signal on).
   * @default undefined
   */
  readonly signal?: AbortSignal;
  /**
   * Higher runs first; equal priorities run in the order `run` was called (FIFO).
   * @default 0
   */
  readonly priority?: number;
  /**
   * A fairness key (a tenant, a project): with `concurrencyPerKey`, at most that many tasks of one
   * key run at once. A task held back by its key keeps its place ahead of later tasks.
   * @default undefined
   */
  readonly key?: string;
}

/** The manager's state: the segmentation backend's `{ active, queued, maxConcurrent }`, with `maxConcurrent` renamed `concurrency` (one name for one idea). */
export interface ConcurrencyStatus {
  /** Tasks running now, nested tasks on borrowed slots included. */
  readonly active: number;
  /** Tasks waiting to start (including those held back by their key or waiting for queue room). */
  readonly queued: number;
  /** The current limit. */
  readonly concurrency: number;
  /** Of `active`, nested tasks running on a slot borrowed from their parent (not counted against the limit). */
  readonly borrowed: number;
}
