import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { QueueClearedError } from '../errors/queue-cleared-error.js';
import { QueueFullError } from '../errors/queue-full-error.js';
import { QueueTimeoutError } from '../errors/queue-timeout-error.js';
import { ReentrantRunError } from '../errors/reentrant-run-error.js';
import { abortReason, neverAbortedSignal } from '../internal/abort.js';
import { startTimer, systemClock, type Clock, type Timer } from '../internal/clock.js';
import { integer, number, oneOf, optionalBoolean, optionalNumber, optionalSignal } from '../internal/validate.js';
import type { ConcurrencyManagerOptions, ConcurrencyStatus, RunOptions, TaskContext } from './options.js';
import { LinkedQueue, PriorityQueue } from './queue.js';

type Settle = (value: unknown) => void;
type TaskFn = (context: TaskContext) => unknown;

const CANCELLED = 1;
const ADMITTING = 2;
const STARTED = 4;

/** What only some tasks need: kept off the common task object to keep queued tasks small. */
interface TaskExtras {
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  timer: Timer | undefined;
}

/**
 * A queued task: this object, its promise and its async resource (the caller's context) are all a
 * waiting task holds. Rejection goes through `resolve(Promise.reject(reason))`, so `reject` need not
 * be kept.
 */
class Task {
  next: Task | undefined = undefined;
  resolve: Settle = noop;
  /** `CANCELLED` and `STARTED` (removed while still linked: skipped when reached), `ADMITTING`. */
  flags = 0;
  extras: TaskExtras | undefined;
  /** The running task whose slot this task may borrow (a nested run), if any. */
  parent: Running | undefined = undefined;

  constructor(
    readonly fn: TaskFn,
    readonly priority: number,
    readonly key: string | undefined,
    readonly resource: AsyncResource,
    signal: AbortSignal | undefined,
    timed: boolean,
  ) {
    this.extras = signal === undefined && !timed ? undefined : { signal, onAbort: undefined, timer: undefined };
  }

  reject(reason: unknown): void {
    this.resolve(Promise.reject(reason));
  }
}

type Submit = (fn: TaskFn, options: RunOptions | undefined, parent: Running | undefined) => Promise<unknown>;

/**
 * A running task: whether it owns a slot or borrows its parent's, the children waiting for its slot,
 * and the task's own {@link TaskContext} (one object per task, allocated once).
 */
class Running implements TaskContext {
  settled = false;
  /** Whether this task holds one of its key's places (a child borrowing its parent's key does not). */
  keyCounted = false;
  /** The nested run borrowing this task's slot now (one at a time per slot). */
  borrower: Running | undefined = undefined;
  /** Nested runs waiting to borrow this task's slot (they also wait in the main queue for a free one). */
  waiting: Task[] | undefined = undefined;

  constructor(
    /** The task whose slot this one borrows; `undefined` when it owns a slot. */
    public lender: Running | undefined,
    readonly key: string | undefined,
    readonly signal: AbortSignal,
    readonly submit: Submit,
  ) {}

  get lent(): boolean {
    return this.borrower !== undefined;
  }

  #run: TaskContext['run'] | undefined;

  /** Made on first use (most tasks never nest), bound, so `({ run }) => run(child)` works. */
  get run(): TaskContext['run'] {
    return (this.#run ??= (fn, options) => this.submit(fn as TaskFn, options, this) as never);
  }
}

function noop(): void {}

interface KeyState {
  active: number;
  waiting: LinkedQueue<Task>;
}

/** The tasks of every manager running in the current async context, innermost first (`reentrant: 'detect' | 'throw'`). */
interface Frame {
  readonly manager: ConcurrencyManager;
  readonly running: Running;
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
 * signal's reason. A slot is never idle while a task that could use it waits. Queued tasks run in
 * their caller's async context (`AsyncLocalStorage`, OpenTelemetry), as p-limit guarantees.
 *
 * A task that needs another task of the same manager runs it through its context: the child
 * borrows the parent's slot while the parent awaits it, so nesting never deadlocks and never
 * exceeds the limit.
 *
 * @example
 * ```ts
 * const limiter = new ConcurrencyManager({ concurrency: 5 });
 * const thumbnails = await Promise.all(ids.map((id) => limiter.run(() => makeThumbnail(id))));
 * limiter.status(); // { active: 0, queued: 0, concurrency: 5, borrowed: 0 }
 * ```
 */
export class ConcurrencyManager {
  #concurrency: number;
  readonly #maxQueued: number;
  readonly #wait: boolean;
  readonly #queueTimeoutMs: number | undefined;
  readonly #perKey: number | undefined;
  readonly #reentrant: 'off' | 'detect' | 'throw';
  readonly #clock: Clock;
  readonly #queue = new PriorityQueue<Task>();
  /** Tasks waiting for room in a full queue (`whenQueueFull: 'wait'`). */
  readonly #admission = new LinkedQueue<Task>();
  readonly #keys = new Map<string, KeyState>();
  /** Running tasks that have nested runs waiting for their slot. */
  readonly #lenders = new Set<Running>();
  /** Tasks holding a slot of their own. */
  #active = 0;
  /** Nested tasks running on a slot borrowed from their parent. */
  #borrowed = 0;
  /** Live (not cancelled, not started) tasks in the queue and in the keys' waiting lists. */
  #queued = 0;
  /** Live tasks waiting for admission. */
  #admitting = 0;
  #paused: boolean;
  #idleWaiters: Array<() => void> = [];
  #emptyWaiters: Array<() => void> = [];
  readonly #submitter: Submit = (fn, options, parent) => this.#submit(fn, options, parent);

  /** @throws {InvalidOptionError} when an option is out of range. */
  constructor(options: ConcurrencyManagerOptions = {}) {
    this.#concurrency = integer('concurrency', options.concurrency ?? 5, 1, Infinity, true);
    this.#maxQueued = integer('maxQueued', options.maxQueued ?? Infinity, 0, Infinity, true);
    this.#wait = oneOf('whenQueueFull', options.whenQueueFull ?? 'reject', ['reject', 'wait']) === 'wait';
    this.#queueTimeoutMs = optionalNumber('queueTimeoutMs', options.queueTimeoutMs, 1, Number.MAX_SAFE_INTEGER);
    this.#perKey = options.concurrencyPerKey === undefined ? undefined : integer('concurrencyPerKey', options.concurrencyPerKey, 1);
    this.#reentrant = oneOf('reentrant', options.reentrant ?? 'off', ['off', 'detect', 'throw']);
    this.#paused = optionalBoolean('paused', options.paused) ?? false;
    this.#clock = options.clock ?? systemClock;
    // Only on request: the first AsyncLocalStorage.run turns on promise hooks for the whole process.
    if (this.#reentrant !== 'off') contextStorage ??= new AsyncLocalStorage<Frame>();
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The current limit. Setting it takes effect at once: raising it starts every task that can start. */
  get concurrency(): number {
    return this.#concurrency;
  }

  set concurrency(value: number) {
    this.#concurrency = integer('concurrency', value, 1, Infinity, true);
    this.#drain();
  }

  /** Tasks running now, nested tasks on borrowed slots included. */
  get active(): number {
    return this.#active + this.#borrowed;
  }

  /** Tasks waiting to start. */
  get queued(): number {
    return this.#queued + this.#admitting;
  }

  /** Whether `pause()` is in effect. */
  get isPaused(): boolean {
    return this.#paused;
  }

  /** `{ active, queued, concurrency, borrowed }`: `active` counts every running task, `borrowed` those of them on a parent's slot. */
  status(): ConcurrencyStatus {
    return { active: this.#active + this.#borrowed, queued: this.#queued + this.#admitting, concurrency: this.#concurrency, borrowed: this.#borrowed };
  }

  /**
   * Runs `fn` when a slot is free (at once if one is and nobody waits ahead) and settles with its
   * result. `fn` receives a {@link TaskContext} whose `run` starts nested tasks on this manager.
   *
   * Rejects with the signal's reason if it aborts while queued, `QueueFullError` when `maxQueued`
   * tasks already wait, `QueueTimeoutError` after `queueTimeoutMs` in the queue, `QueueClearedError`
   * after `clear()`. Validation errors (not a function, bad priority) reject too.
   */
  run<T>(fn: (context: TaskContext) => T | PromiseLike<T>, options?: RunOptions): Promise<Awaited<T>> {
    return this.#submit(fn as TaskFn, options, undefined) as Promise<Awaited<T>>;
  }

  /** Resolves when nothing runs and nothing waits (at once if so already). */
  onIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
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

  /** Starts queued tasks again: every one that can start, up to the limit. */
  resume(): void {
    this.#paused = false;
    this.#drain();
  }

  /**
   * Rejects every task that has not started with a `QueueClearedError` whose `cause` is `reason`.
   * Running tasks are not touched. Returns how many tasks were rejected.
   */
  clear(reason?: unknown): number {
    let cleared = 0;
    const rejectTask = (task: Task): void => {
      if ((task.flags & (CANCELLED | STARTED)) !== 0) return;
      this.#unwatch(task);
      task.flags |= CANCELLED;
      task.reject(new QueueClearedError(reason));
      cleared++;
    };
    this.#queue.drainEach(rejectTask);
    this.#admission.drainEach(rejectTask);
    for (const state of this.#keys.values()) state.waiting.drainEach(rejectTask);
    for (const lender of this.#lenders) lender.waiting = undefined;
    this.#lenders.clear();
    this.#queued = 0;
    this.#admitting = 0;
    this.#pruneKeys();
    this.#notify();
    return cleared;
  }

  #isIdle(): boolean {
    return this.#active === 0 && this.#borrowed === 0 && this.#queued === 0 && this.#admitting === 0;
  }

  #submit(fn: TaskFn, options: RunOptions | undefined, explicitParent: Running | undefined): Promise<unknown> {
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

    let parent = explicitParent;
    if (parent === undefined && this.#reentrant !== 'off') {
      parent = this.#implicitParent();
      if (parent !== undefined && this.#reentrant === 'throw') return Promise.reject(new ReentrantRunError());
    }
    if (parent?.settled === true) parent = undefined;

    // Fast path: a slot is free and nobody waits ahead.
    if (!this.#paused && this.#active < this.#concurrency && this.#queued === 0 && this.#admitting === 0 && this.#keyFree(key)) {
      return this.#start(fn, key, undefined, signal);
    }
    // A nested run may borrow its parent's slot while the parent awaits it.
    if (parent !== undefined && !parent.lent && !this.#paused && (this.#keyFree(key) || key === parent.key)) {
      return this.#start(fn, key, parent, signal);
    }

    const task = new Task(fn, priority, key, new AsyncResource('bulwark.ConcurrencyManager'), signal, this.#queueTimeoutMs !== undefined);
    const promise = new Promise<unknown>((resolve) => {
      task.resolve = resolve;
    });
    if (this.#queued >= this.#maxQueued) {
      if (!this.#wait) return Promise.reject(new QueueFullError(this.#maxQueued, this.#concurrency));
      this.#admitting++;
      task.flags |= ADMITTING;
      this.#admission.push(task);
    } else {
      this.#queued++;
      this.#queue.push(task);
    }
    if (parent !== undefined) {
      task.parent = parent;
      (parent.waiting ??= []).push(task);
      this.#lenders.add(parent);
    }
    this.#watch(task);
    this.#drain();
    return promise;
  }

  #implicitParent(): Running | undefined {
    for (let frame = contextStorage?.getStore(); frame !== undefined; frame = frame.parent) {
      if (frame.manager === this && !frame.running.settled) return frame.running;
    }
    return undefined;
  }

  #keyFree(key: string | undefined): boolean {
    if (key === undefined || this.#perKey === undefined) return true;
    const state = this.#keys.get(key);
    return state === undefined || state.active < this.#perKey;
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
      extras.timer = startTimer(this.#clock, timeoutMs, () => this.#cancel(task, new QueueTimeoutError(timeoutMs)));
    }
  }

  #unwatch(task: Task): void {
    const extras = task.extras;
    if (extras === undefined) return;
    if (extras.onAbort !== undefined) {
      extras.signal?.removeEventListener('abort', extras.onAbort);
      extras.onAbort = undefined;
    }
    extras.timer?.cancel();
    extras.timer = undefined;
  }

  /** Removes a waiting task (lazily: it stays linked, flagged) and rejects it. */
  #cancel(task: Task, reason: unknown): void {
    if ((task.flags & (CANCELLED | STARTED)) !== 0) return;
    this.#unwatch(task);
    task.flags |= CANCELLED;
    if ((task.flags & ADMITTING) !== 0) this.#admitting--;
    else this.#queued--;
    task.reject(reason);
    // Its place in the queue or behind its key may have been what held others back.
    this.#drain();
  }

  /** Moves tasks waiting for room into the queue while there is room. */
  #admit(): void {
    while (this.#admitting > 0 && this.#queued < this.#maxQueued) {
      const task = this.#admission.shift();
      if (task === undefined) break;
      if ((task.flags & (CANCELLED | STARTED)) !== 0) continue;
      task.flags &= ~ADMITTING;
      this.#admitting--;
      this.#queued++;
      this.#queue.push(task);
    }
  }

  /** Takes a queued task off the counts and starts it, owning a slot or borrowing `lender`'s. */
  #startQueued(task: Task, lender: Running | undefined): void {
    if ((task.flags & ADMITTING) !== 0) this.#admitting--;
    else this.#queued--;
    task.flags |= STARTED;
    this.#unwatch(task);
    // In the caller's async context, not in that of the task that freed the slot.
    task.resource.runInAsyncScope(this.#runQueued, this, task, lender);
  }

  /** Starts every task that can start: no slot stays idle while a runnable task waits. */
  #drain(): void {
    this.#admit();
    while (!this.#paused && this.#active < this.#concurrency) {
      // Waiting callers (`whenQueueFull: 'wait'`) go straight to a free slot when nothing startable is
      // queued ahead of them (tasks held back by their key may still count as queued).
      const task = this.#queue.shift() ?? this.#admission.shift();
      if (task === undefined) break;
      if ((task.flags & (CANCELLED | STARTED)) !== 0) continue;
      if (task.key !== undefined && this.#perKey !== undefined && !this.#keyFree(task.key)) {
        this.#keyState(task.key).waiting.push(task); // still counted as queued; keeps its place for its key
        continue;
      }
      this.#startQueued(task, undefined);
      this.#admit();
    }
    if (!this.#paused) for (const lender of this.#lenders) this.#lend(lender);
    this.#notify();
  }

  /** Lets the next waiting nested run borrow `lender`'s slot, if it is free. */
  #lend(lender: Running): void {
    const waiting = lender.waiting;
    if (lender.settled || waiting === undefined) {
      lender.waiting = undefined;
      this.#lenders.delete(lender);
      return;
    }
    while (!lender.lent && waiting.length > 0) {
      const index = waiting.findIndex((t) => (t.flags & (CANCELLED | STARTED)) !== 0 || this.#keyFree(t.key) || t.key === lender.key);
      if (index === -1) return;
      const [task] = waiting.splice(index, 1) as [Task];
      if ((task.flags & (CANCELLED | STARTED)) !== 0) continue;
      this.#startQueued(task, lender);
    }
    if (waiting.every((t) => (t.flags & (CANCELLED | STARTED)) !== 0)) {
      lender.waiting = undefined;
      this.#lenders.delete(lender);
    }
  }

  #start(fn: TaskFn, key: string | undefined, lender: Running | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const running = this.#begin(key, lender, signal);
    if (contextStorage === undefined || this.#reentrant === 'off') return this.#execute(fn, running);
    return contextStorage.run({ manager: this, running, parent: contextStorage.getStore() }, () => this.#execute(fn, running));
  }

  /** Counts a task as running (on its own slot, or on `lender`'s) and makes its context. */
  #begin(key: string | undefined, lender: Running | undefined, signal: AbortSignal | undefined): Running {
    const running = new Running(lender, key, signal ?? neverAbortedSignal(), this.#submitter);
    if (lender === undefined) this.#active++;
    else {
      lender.borrower = running;
      this.#borrowed++;
    }
    // A child with its parent's key borrows the key's place with the slot (else it could never start).
    if (key !== undefined && this.#perKey !== undefined && !(lender !== undefined && lender.key === key)) {
      this.#keyState(key).active++;
      running.keyCounted = true;
    }
    return running;
  }

  async #execute(fn: TaskFn, running: Running): Promise<unknown> {
    try {
      return await fn(running);
    } finally {
      this.#release(running);
    }
  }

  /** Runs a queued task and settles its caller's promise directly (no promise resolved with a promise). */
  async #executeQueued(task: Task, running: Running): Promise<void> {
    try {
      task.resolve(await task.fn(running));
    } catch (error) {
      task.reject(error);
    } finally {
      this.#release(running);
    }
  }

  #runQueued(task: Task, lender: Running | undefined): void {
    const running = this.#begin(task.key, lender, task.extras?.signal);
    if (contextStorage === undefined || this.#reentrant === 'off') void this.#executeQueued(task, running);
    else contextStorage.run({ manager: this, running, parent: contextStorage.getStore() }, () => void this.#executeQueued(task, running));
  }

  #release(running: Running): void {
    running.settled = true;
    // Its own waiting children become ordinary queued tasks (they are in the main queue already).
    if (running.waiting !== undefined) {
      for (const task of running.waiting) task.parent = undefined;
      running.waiting = undefined;
      this.#lenders.delete(running);
    }
    const lender = running.lender;
    const heir = running.borrower;
    let releaseKey = running.keyCounted;
    if (heir !== undefined && releaseKey && heir.key === running.key && !heir.keyCounted) {
      // The heir also takes over the key's place it was borrowing.
      heir.keyCounted = true;
      releaseKey = false;
    }
    if (heir !== undefined) {
      // A parent settled while its child still runs on its slot: the child inherits the slot (or the
      // borrowed one), so the slot is never freed while work still runs on it.
      heir.lender = lender;
      this.#borrowed--;
      if (lender !== undefined) lender.borrower = heir;
    } else if (lender === undefined) this.#active--;
    else {
      this.#borrowed--;
      lender.borrower = undefined;
    }
    if (releaseKey) this.#releaseKey(running.key as string);
    this.#drain();
  }

  #releaseKey(key: string): void {
    const state = this.#keys.get(key);
    if (state === undefined) return;
    state.active--;
    // The key's next held-back task was dequeued before anything now in the queue: it goes first.
    for (let task = state.waiting.shift(); task !== undefined; task = state.waiting.shift()) {
      if ((task.flags & (CANCELLED | STARTED)) !== 0) continue;
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
    if (this.#isIdle() && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
