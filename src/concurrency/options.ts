import type { Clock } from '../internal/clock.js';
import type { HookErrorHandler } from '../internal/events.js';

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
   * `concurrency`: fairness between tenants or projects. A nested run with the key of a task up its
   * chain of callers shares that task's place (one place per family, freed when the family's last
   * member settles): nesting never waits for its own key. `undefined`: keys are not limited. Minimum: `1`.
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
   * a plain `await` loop ~4x slower, for good); `off` costs nothing.
   * @default 'off'
   */
  readonly reentrant?: 'off' | 'detect' | 'throw';
  /**
   * Start paused: tasks queue but none starts until `resume()`.
   * @default false
   */
  readonly paused?: boolean;
  /**
   * At most `limit` task starts in **any** `intervalMs` window (a sliding window: the start times of
   * the last `limit` starts are kept, and a start waits until the oldest is `intervalMs` old). Unlike
   * p-queue's fixed `interval`/`intervalCap`, which resets a counter every interval and so lets up to
   * twice `intervalCap` start around a boundary, this holds for every window: what a provider quota
   * ("100 requests per minute") means. Works alone or with `concurrency`; nested runs count too. A
   * timer runs only while a task waits for the rate, so an idle manager never keeps the process alive.
   * `undefined`: no rate limit.
   * @default undefined
   * @example
   * ```ts
   * new ConcurrencyManager({ concurrency: 5, rate: { limit: 1000, intervalMs: 1000 } });
   * ```
   */
  readonly rate?: RateLimit;
  /**
   * The same rate limit per task `key` (a quota per tenant, per SMTP provider), on top of `rate`. A
   * task held back by its key's rate keeps its place for that key; other keys' tasks go ahead. A
   * key's window is forgotten once it has passed (swept by a start every 1024 keyed starts or once
   * per `intervalMs`: no timer), so a million short-lived keys do not stay in memory.
   * `undefined`: keys are not rate-limited.
   * @default undefined
   */
  readonly ratePerKey?: RateLimit;
  /**
   * The default `timeoutMs` of every task (see `RunOptions.timeoutMs`). `undefined`: no limit.
   * Minimum: `1`.
   * @default undefined
   */
  readonly timeoutMs?: number;
  /**
   * Where an event listener's error goes (it never changes a task's outcome or the manager's state).
   * @default a process warning (`BulwarkHookWarning`)
   */
  readonly onHookError?: HookErrorHandler;
  /**
   * The clock for `queueTimeoutMs`, `timeoutMs` and `rate`, injectable for tests.
   * @default the system clock
   */
  readonly clock?: Clock;
}

/**
 * A rate limit: at most `limit` starts in any `intervalMs` window; or, with `burst`, a token bucket
 * that banks unused capacity.
 */
export interface RateLimit {
  /** Starts allowed per window (with `burst`: tokens added per `intervalMs`). Minimum: `1`. */
  readonly limit: number;
  /** The window, in milliseconds. Minimum: `1`. */
  readonly intervalMs: number;
  /**
   * Carry unused capacity over: a token bucket holding up to `burst` starts, refilled continuously at
   * `limit` per `intervalMs` (one token every `intervalMs / limit` ms). After a quiet spell, up to
   * `burst` tasks start at once; under steady load, starts are spaced evenly at the rate. Any window of
   * `intervalMs` then holds at most `burst + limit` starts (the sliding window alone: `limit`).
   * Minimum: `1`.
   * @default none (a sliding window: no carry-over)
   */
  readonly burst?: number;
}

/** What a task receives from `ConcurrencyManager.run`. */
export interface TaskContext {
  /**
   * The run's `signal` (one that never aborts when none was given); with a `timeoutMs`, it also aborts
   * with the `TaskTimeoutError` at the timeout.
   */
  readonly signal: AbortSignal;
  /**
   * Runs a nested task on the same manager without deadlocking: it takes a free slot like any
   * caller or, while the parent awaits it, borrows the parent's slot (one nested task at a time per
   * slot), so 50 nested tasks of one parent at `concurrency: 2` run at most 2 at once. A nested task
   * still waiting when its parent settles may borrow the slot of the nearest running ancestor
   * instead; with none left, it is an ordinary `run`.
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
  /**
   * A name for the task: `setPriority(id, …)` finds it while it is queued, and it appears in
   * `running()`, in events and in a `TaskTimeoutError`. Need not be unique (`setPriority` moves the
   * first queued task with that id).
   * @default undefined
   */
  readonly id?: string;
  /**
   * Once started, the task may run this long: then its `signal` aborts with a `TaskTimeoutError` and
   * its `run` promise rejects with that error at once. Its slot stays taken until the function
   * actually settles (a task that ignores its signal still counts against `concurrency`: the limit is
   * never exceeded; see `ConcurrencyStatus.timedOut`) — unlike p-queue, which frees the slot at the
   * timeout and lets the work run on uncounted. Queue time does not count (see `queueTimeoutMs`).
   * Minimum: `1`.
   * @default the manager's `timeoutMs` (no limit)
   */
  readonly timeoutMs?: number;
}

/** A running task, as `running()` lists it. */
export interface RunningTask {
  /** Its `id`, if it was given one. */
  readonly id: string | undefined;
  /** Its `key`, if it was given one. */
  readonly key: string | undefined;
  /** When it started, on the manager's clock (milliseconds). */
  readonly startedAt: number;
  /** Its time limit, if any. */
  readonly timeoutMs: number | undefined;
  /** Whether it has timed out and is still running (its function has not settled yet). */
  readonly timedOut: boolean;
  /** Whether it runs on a slot borrowed from its parent (a nested run). */
  readonly borrowed: boolean;
}

/** What each event of `ConcurrencyManager.on` receives. */
export interface ConcurrencyEvents {
  /** A task was submitted (it starts at once or queues). */
  readonly add: { readonly id: string | undefined; readonly key: string | undefined; readonly priority: number };
  /** A task started. */
  readonly active: { readonly id: string | undefined; readonly key: string | undefined };
  /** A task's function settled and its slot was freed (after `completed` or `error`). */
  readonly next: { readonly id: string | undefined; readonly key: string | undefined };
  /** A task fulfilled. */
  readonly completed: { readonly id: string | undefined; readonly key: string | undefined; readonly result: unknown; readonly durationMs: number };
  /** A task rejected or timed out (`error` is the task's error or the `TaskTimeoutError`). */
  readonly error: { readonly id: string | undefined; readonly key: string | undefined; readonly error: unknown; readonly durationMs: number };
  /** The queue became empty (tasks may still run). */
  readonly empty: Record<string, never>;
  /** Nothing runs and nothing waits. */
  readonly idle: Record<string, never>;
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
  /** Of `active`, tasks past their `timeoutMs` whose function has not settled yet (they still hold their slot). */
  readonly timedOut: number;
}
