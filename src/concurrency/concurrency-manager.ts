import { AsyncLocalStorage } from 'node:async_hooks';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { QueueClearedError } from '../errors/queue-cleared-error.js';
import { QueueFullError } from '../errors/queue-full-error.js';
import { QueueTimeoutError } from '../errors/queue-timeout-error.js';
import { ReentrantRunError } from '../errors/reentrant-run-error.js';
import { abortReason } from '../internal/abort.js';
import { systemClock, type Clock } from '../internal/clock.js';
import { integer, number, oneOf, optionalBoolean, optionalNumber, optionalSignal } from '../internal/validate.js';
import type { ConcurrencyManagerOptions, ConcurrencyStatus, RunOptions } from './options.js';
import { LinkedQueue, PriorityQueue } from './queue.js';

type Settle = (value: unknown) => void;

const CANCELLED = 1;
const ADMITTING = 2;

/** What only some tasks need: kept off the common task object to keep queued tasks small. */
interface TaskExtras {
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  timer: unknown;
}

/**
 * A queued task: this object and its promise (with the promise's `resolve`) are all a waiting task
 * holds. Rejection goes through `resolve(Promise.reject(reason))`, so `reject` need not be kept.
 */
class Task {
  next: Task | undefined = undefined;
  resolve: Settle = noop;
  /** `CANCELLED` (removed while still linked: skipped when reached) and `ADMITTING` (waiting for queue room). */
  flags = 0;
  extras: TaskExtras | undefined;

  constructor(
    readonly fn: () => unknown,
    readonly priority: number,
    readonly key: string | undefined,
    signal: AbortSignal | undefined,
    timed: boolean,
  ) {
    this.extras = signal === undefined && !timed ? undefined : { signal, onAbort: undefined, timer: undefined };
  }

  reject(reason: unknown): void {
    this.resolve(Promise.reject(reason));
  }
}

function noop(): void {}

interface KeyState {
  active: number;
  waiting: LinkedQueue<Task>;
}

/** The managers whose slot the current async context holds, innermost first. */
interface Frame {
  readonly manager: ConcurrencyManager;
  readonly parent: Frame | undefined;
}
let contextStorage: AsyncLocalStorage<Frame> | undefined;

const BRAND = /* @__PURE__ */ Symbol.for('bulwark.ConcurrencyManager');

/** @internal Whether `value` is a `ConcurrencyManager` of any copy of bulwark (a brand, not `instanceof`). */
export function isConcurrencyManager(value: unknown): value is ConcurrencyManager {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/**
 * Runs async tasks with at most `concurrency` at once; the rest wait in a queue (FIFO within a
 * priority) that never drops a task silently: every `run` promise settles — with the task's result,
 * its error, or a typed error (`QueueFullError`, `QueueTimeoutError`, `QueueClearedError`) or the
 * signal's reason.
 *
 * @example
 * ```ts
 * const limiter = new ConcurrencyManager({ concurrency: 5 });
 * const thumbnails = await Promise.all(ids.map((id) => limiter.run(() => makeThumbnail(id))));
 * limiter.status(); // { active: 0, queued: 0, concurrency: 5 }
 * ```
 */
export class ConcurrencyManager {
  #concurrency: number;
  readonly #maxQueued: number;
  readonly #wait: boolean;
  readonly #queueTimeoutMs: number | undefined;
  readonly #perKey: number | undefined;
  readonly #reentrant: 'inline' | 'throw' | 'off';
  readonly #clock: Clock;
  readonly #frame: Frame;
  readonly #queue = new PriorityQueue<Task>();
  /** Tasks waiting for room in a full queue (`whenQueueFull: 'wait'`). */
  readonly #admission = new LinkedQueue<Task>();
  readonly #keys = new Map<string, KeyState>();
  #active = 0;
  /** Live (not cancelled) tasks in the queue and in the keys' waiting lists. */
  #queued = 0;
  /** Live tasks waiting for admission. */
  #admitting = 0;
  #paused: boolean;
  #idleWaiters: Array<() => void> = [];
  #emptyWaiters: Array<() => void> = [];

  /** @throws {InvalidOptionError} when an option is out of range. */
  constructor(options: ConcurrencyManagerOptions = {}) {
    this.#concurrency = integer('concurrency', options.concurrency ?? 5, 1, Infinity, true);
    this.#maxQueued = integer('maxQueued', options.maxQueued ?? Infinity, 0, Infinity, true);
    this.#wait = oneOf('whenQueueFull', options.whenQueueFull ?? 'reject', ['reject', 'wait']) === 'wait';
    this.#queueTimeoutMs = optionalNumber('queueTimeoutMs', options.queueTimeoutMs, 1);
    this.#perKey = options.concurrencyPerKey === undefined ? undefined : integer('concurrencyPerKey', options.concurrencyPerKey, 1);
    this.#reentrant = oneOf('reentrant', options.reentrant ?? 'inline', ['inline', 'throw', 'off']);
    this.#paused = optionalBoolean('paused', options.paused) ?? false;
    this.#clock = options.clock ?? systemClock;
    this.#frame = { manager: this, parent: undefined };
    Object.defineProperty(this, BRAND, { value: true });
    if (this.#reentrant !== 'off') contextStorage ??= new AsyncLocalStorage<Frame>();
  }

  /** The current limit. Setting it takes effect at once: raising it starts waiting tasks. */
  get concurrency(): number {
    return this.#concurrency;
  }

  set concurrency(value: number) {
    this.#concurrency = integer('concurrency', value, 1, Infinity, true);
    this.#drain();
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting to start. */
  get queued(): number {
    return this.#queued + this.#admitting;
  }

  /** Whether `pause()` is in effect. */
  get isPaused(): boolean {
    return this.#paused;
  }

  /** `{ active, queued, concurrency }`. */
  status(): ConcurrencyStatus {
    return { active: this.#active, queued: this.#queued + this.#admitting, concurrency: this.#concurrency };
  }

  /**
   * Runs `fn` when a slot is free (at once if one is) and settles with its result.
   *
   * Rejects with the signal's reason if it aborts while queued, `QueueFullError` when `maxQueued`
   * tasks already wait, `QueueTimeoutError` after `queueTimeoutMs` in the queue, `QueueClearedError`
   * after `clear()`. Validation errors (not a function, bad priority) reject too.
   */
  run<T>(fn: () => T | PromiseLike<T>, options?: RunOptions): Promise<Awaited<T>> {
    if (typeof fn !== 'function') return Promise.reject(new InvalidOptionError('fn', 'a function', fn));
    let priority = 0;
    let key: string | undefined;
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      try {
        priority = options.priority === undefined ? 0 : number('priority', options.priority, -Infinity);
        if (options.key !== undefined && typeof options.key !== 'string') throw new InvalidOptionError('key', 'a string', options.key);
        key = options.key;
        signal = optionalSignal('signal', options.signal);
      } catch (error) {
        return Promise.reject(error);
      }
      if (signal?.aborted) return Promise.reject(abortReason(signal));
    }

    if (this.#reentrant !== 'off' && this.#holdsSlot()) {
      if (this.#reentrant === 'throw') return Promise.reject(new ReentrantRunError());
      return invoke(fn) as Promise<Awaited<T>>;
    }

    // Fast path: a slot is free and nobody waits ahead of us.
    if (
      !this.#paused &&
      this.#active < this.#concurrency &&
      this.#queued === 0 &&
      this.#admitting === 0 &&
      (key === undefined || this.#perKey === undefined || this.#keyState(key).active < this.#perKey)
    ) {
      if (key !== undefined && this.#perKey !== undefined) this.#keyState(key).active++;
      return this.#start(fn, key) as Promise<Awaited<T>>;
    }

    const task = new Task(fn, priority, key, signal, this.#queueTimeoutMs !== undefined);
    const promise = new Promise<Awaited<T>>((resolve) => {
      task.resolve = resolve as Settle;
    });
    if (this.#queued >= this.#maxQueued) {
      if (!this.#wait) return Promise.reject(new QueueFullError(this.#maxQueued, this.#concurrency));
      this.#admitting++;
      task.flags |= ADMITTING;
      this.#admission.push(task);
      this.#watch(task);
      return promise;
    }
    this.#enqueue(task);
    this.#drain();
    return promise;
  }

  /** Resolves when nothing runs and nothing waits (at once if so already). */
  onIdle(): Promise<void> {
    if (this.#active === 0 && this.#queued === 0 && this.#admitting === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Resolves when the queue is empty (tasks may still be running); at once if it is. */
  onEmpty(): Promise<void> {
    if (this.#queued === 0 && this.#admitting === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  /** Stops starting queued tasks; running ones continue. New calls queue. */
  pause(): void {
    this.#paused = true;
  }

  /** Starts queued tasks again, up to the limit. */
  resume(): void {
    this.#paused = false;
    this.#drain();
  }

  /**
   * Rejects every task that has not started with a `QueueClearedError` whose `cause` is `reason`.
   * Running tasks are not touched. Returns how many tasks were rejected.
   */
  clear(reason?: unknown): number {
    const tasks = [...this.#queue.drain(), ...this.#admission.drain()];
    for (const state of this.#keys.values()) tasks.push(...state.waiting.drain());
    let cleared = 0;
    for (const task of tasks) {
      if ((task.flags & CANCELLED) !== 0) continue;
      this.#unwatch(task);
      task.flags |= CANCELLED;
      task.reject(new QueueClearedError(reason));
      cleared++;
    }
    this.#queued = 0;
    this.#admitting = 0;
    this.#pruneKeys();
    this.#notify();
    return cleared;
  }

  #keyState(key: string): KeyState {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { active: 0, waiting: new LinkedQueue<Task>() };
      this.#keys.set(key, state);
    }
    return state;
  }

  #pruneKeys(): void {
    for (const [key, state] of this.#keys) if (state.active === 0 && state.waiting.head === undefined) this.#keys.delete(key);
  }

  #holdsSlot(): boolean {
    for (let frame = contextStorage?.getStore(); frame !== undefined; frame = frame.parent) {
      if (frame.manager === this) return true;
    }
    return false;
  }

  #enqueue(task: Task): void {
    this.#queued++;
    this.#queue.push(task);
    if (task.extras !== undefined && task.extras.onAbort === undefined && task.extras.timer === undefined) this.#watch(task);
  }

  /** Arms the signal listener and the queue timeout for a waiting task. */
  #watch(task: Task): void {
    const extras = task.extras;
    if (extras === undefined) return;
    const { signal } = extras;
    if (signal !== undefined) {
      extras.onAbort = () => this.#cancel(task, abortReason(signal));
      signal.addEventListener('abort', extras.onAbort, { once: true });
    }
    if (this.#queueTimeoutMs !== undefined) {
      const timeoutMs = this.#queueTimeoutMs;
      extras.timer = this.#clock.setTimeout(() => this.#cancel(task, new QueueTimeoutError(timeoutMs)), timeoutMs);
    }
  }

  #unwatch(task: Task): void {
    const extras = task.extras;
    if (extras === undefined) return;
    if (extras.onAbort !== undefined) {
      extras.signal?.removeEventListener('abort', extras.onAbort);
      extras.onAbort = undefined;
    }
    if (extras.timer !== undefined) {
      this.#clock.clearTimeout(extras.timer);
      extras.timer = undefined;
    }
  }

  /** Removes a waiting task (lazily: it stays linked, flagged) and rejects it. */
  #cancel(task: Task, reason: unknown): void {
    if ((task.flags & CANCELLED) !== 0) return;
    this.#unwatch(task);
    task.flags |= CANCELLED;
    if ((task.flags & ADMITTING) !== 0) this.#admitting--;
    else this.#queued--;
    task.reject(reason);
    this.#admit();
    this.#notify();
  }

  /** Moves tasks waiting for room into the queue while there is room. */
  #admit(): void {
    while (this.#admitting > 0 && this.#queued < this.#maxQueued) {
      const task = this.#admission.shift();
      if (task === undefined) break;
      if ((task.flags & CANCELLED) !== 0) continue;
      task.flags &= ~ADMITTING;
      this.#admitting--;
      this.#queued++;
      this.#queue.push(task);
    }
  }

  #drain(): void {
    while (!this.#paused && this.#active < this.#concurrency) {
      const task = this.#queue.shift();
      if (task === undefined) break;
      if ((task.flags & CANCELLED) !== 0) continue;
      if (task.key !== undefined && this.#perKey !== undefined) {
        const state = this.#keyState(task.key);
        if (state.active >= this.#perKey) {
          state.waiting.push(task); // still counted as queued; keeps its place for its key
          continue;
        }
        state.active++;
      }
      this.#queued--;
      this.#unwatch(task);
      task.resolve(this.#start(task.fn, task.key));
    }
    this.#admit();
    this.#notify();
  }

  #start(fn: () => unknown, key: string | undefined): Promise<unknown> {
    this.#active++;
    if (contextStorage === undefined || this.#reentrant === 'off') return this.#execute(fn, key);
    const current = contextStorage.getStore();
    const frame = current === undefined ? this.#frame : { manager: this, parent: current };
    return contextStorage.run(frame, () => this.#execute(fn, key));
  }

  async #execute(fn: () => unknown, key: string | undefined): Promise<unknown> {
    try {
      return await fn();
    } finally {
      this.#active--;
      if (key !== undefined && this.#perKey !== undefined) this.#release(key);
      this.#drain();
    }
  }

  #release(key: string): void {
    const state = this.#keys.get(key);
    if (state === undefined) return;
    state.active--;
    // The key's next held-back task was dequeued before anything now in the queue: it goes first.
    for (let task = state.waiting.shift(); task !== undefined; task = state.waiting.shift()) {
      if ((task.flags & CANCELLED) !== 0) continue;
      this.#queue.unshift(task);
      break;
    }
    if (state.active === 0 && state.waiting.head === undefined) this.#keys.delete(key);
  }

  #notify(): void {
    if (this.#queued === 0 && this.#admitting === 0 && this.#emptyWaiters.length > 0) {
      const waiters = this.#emptyWaiters;
      this.#emptyWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.#active === 0 && this.#queued === 0 && this.#admitting === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

async function invoke(fn: () => unknown): Promise<unknown> {
  return await fn();
}
