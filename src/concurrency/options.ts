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
   * What a task's own nested `run` on this manager does. Awaiting it on a full manager would deadlock
   * (the outer task holds the slot the inner one waits for — the p-limit trap), so by default it runs
   * `inline`: at once, in the caller's slot, without queueing. `throw` rejects it with a
   * `ReentrantRunError` instead. `off` disables detection (it costs an `AsyncLocalStorage.run` per task).
   * @default 'inline'
   */
  readonly reentrant?: 'inline' | 'throw' | 'off';
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
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting to start (including those held back by their key or waiting for queue room). */
  readonly queued: number;
  /** The current limit. */
  readonly concurrency: number;
}
