import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { QueueClearedError } from '../errors/queue-cleared-error.js';
import { QueueFullError } from '../errors/queue-full-error.js';
import { QueueTimeoutError } from '../errors/queue-timeout-error.js';
import { ReentrantRunError } from '../errors/reentrant-run-error.js';
import { TaskTimeoutError } from '../errors/task-timeout-error.js';
import { abortReason, neverAbortedSignal } from '../internal/abort.js';
import { startTimer, systemClock, type Clock, type Timer } from '../internal/clock.js';
import { Emitter, warnHookError, type HookErrorHandler } from '../internal/events.js';
import { integer, knownOptions, number, oneOf, optionalBoolean, optionalFunction, optionalNumber, optionalSignal } from '../internal/validate.js';
import type { ConcurrencyEvents, ConcurrencyManagerOptions, ConcurrencyStatus, RateLimit, RunOptions, RunningTask, TaskContext } from './options.js';
import { LinkedQueue, PriorityQueue } from './queue.js';
import { rateLimit, startLimit, type StartLimit } from './rate.js';

type Settle = (value: unknown) => void;
type TaskFn = (context: TaskContext) => unknown;

const CANCELLED = 1;
const ADMITTING = 2;
const STARTED = 4;
/** Put back at the front of the queue (held back by its key, then released): ordered among such by `seq`. */
const RETURNED = 8;
/** Held back again after it had its turn: at the front of its key's line, ordered among such by `seq`. */
const FRONT = 16;

/** What only some tasks need: kept off the common task object to keep queued tasks small. */
interface TaskExtras {
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  timer: Timer | undefined;
  readonly id: string | undefined;
  readonly timeoutMs: number | undefined;
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
  /** Submission order, to put tasks held back by their keys' rates back in their order. */
  seq = 0;
  /**
   * The running task that submitted it (a nested run), kept after that task settles (unlike
   * `parent`, which is about borrowing its slot): the chain of callers decides its key's family.
   */
  caller: Running | undefined = undefined;

  constructor(
    readonly fn: TaskFn,
    /** Changed only by `setPriority`. */
    public priority: number,
    readonly key: string | undefined,
    readonly resource: AsyncResource | undefined,
    extras: TaskExtras | undefined,
  ) {
    this.extras = extras;
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
  /** Past its `timeoutMs`: its caller has the `TaskTimeoutError`; its slot is held until it settles. */
  timedOut = false;
  /**
   * The key place this task runs on (with `concurrencyPerKey`): its own, or — for a descendant of a
   * task with the same key — its family's, shared until the family's last member settles.
   */
  place: KeyPlace | undefined = undefined;
  /** The nested run borrowing this task's slot now (one at a time per slot). */
  borrower: Running | undefined = undefined;
  /** Nested runs waiting to borrow this task's slot (they also wait in the main queue for a free one). */
  waiting: Task[] | undefined = undefined;
  /** The manager's list of running tasks, in start order (intrusive: no hashing per task). */
  previous: Running | undefined = undefined;
  next: Running | undefined = undefined;
  /** Only for a task with a timeout: its timer, the caller-signal link, and the `Task` that settles its caller. */
  timing: Timing | undefined = undefined;

  constructor(
    /** The task whose slot this one borrows; `undefined` when it owns a slot. */
    public lender: Running | undefined,
    /** The running task whose context started this one (a nested run), whatever slot it runs on. */
    readonly caller: Running | undefined,
    readonly key: string | undefined,
    readonly signal: AbortSignal,
    readonly submit: Submit,
    readonly id: string | undefined,
    readonly startedAt: number,
    readonly timeoutMs: number | undefined,
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

/** One of a key's places, held by a task and every running descendant of it with the same key. */
interface KeyPlace {
  readonly key: string;
  /** Running tasks on it: the place is freed when the last one settles. */
  members: number;
}

/** What a task with a timeout needs beyond the common ones. */
interface Timing {
  timer: Timer | undefined;
  unlink: (() => void) | undefined;
  readonly task: Task | undefined;
}

interface KeyState {
  active: number;
  waiting: LinkedQueue<Task>;
  /** Its `ratePerKey` window (while it remembers a start). */
  window: StartLimit | undefined;
}

/** The tasks of every manager running in the current async context, innermost first (`reentrant: 'detect' | 'throw'`). */
interface Frame {
  readonly manager: ConcurrencyManager;
  readonly running: Running;
  readonly parent: Frame | undefined;
}
let contextStorage: AsyncLocalStorage<Frame> | undefined;

const BRAND = /* @__PURE__ */ Symbol.for('bulwark.ConcurrencyManager');

/** Every `ConcurrencyManagerOptions` key: anything else is a typo or another library's name. */
const KNOWN = /* @__PURE__ */ new Set(['concurrency', 'maxQueued', 'whenQueueFull', 'queueTimeoutMs', 'concurrencyPerKey', 'reentrant', 'paused', 'rate', 'ratePerKey', 'timeoutMs', 'onHookError', 'clock']);
/** p-limit's, p-queue's, bottleneck's and bulwark 0.1's names, and bulwark's for them. */
const ALIASES: Readonly<Record<string, string>> = {
  maxConcurrent: 'concurrency',
  maxConcurrentPerKey: 'concurrencyPerKey',
  autoStart: 'paused (the opposite)',
  interval: 'rate: { limit, intervalMs }',
  intervalCap: 'rate: { limit, intervalMs }',
  carryoverIntervalCount: 'rate.burst',
  timeout: 'timeoutMs (or queueTimeoutMs for time spent queued)',
  throwOnTimeout: 'nothing: a timed-out task always rejects with TaskTimeoutError',
  queueClass: 'nothing: priorities are built in',
  minTime: 'rate: { limit: 1, intervalMs }',
  reservoir: 'rate: { limit, intervalMs, burst }',
  highWater: 'maxQueued',
};

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
 * limiter.status(); // { active: 0, queued: 0, concurrency: 5, borrowed: 0, timedOut: 0 }
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
  /** `onSizeLessThan` callers: resolved once fewer than `size` tasks wait. */
  #sizeWaiters: Array<{ readonly size: number; readonly resolve: () => void }> = [];
  #pendingZeroWaiters: Array<() => void> = [];
  readonly #timeoutMs: number | undefined;
  readonly #rate: StartLimit | undefined;
  readonly #ratePerKey: RateLimit | undefined;
  /** The one timer that wakes the queue when a rate window opens (armed only while a task waits for it). */
  #rateTimer: Timer | undefined;
  #rateTimerAt = Infinity;
  #keyRecords = 0;
  #seq = 0;
  /** Running tasks past their timeout whose function has not settled. */
  #timedOut = 0;
  /** When the per-key windows were last swept (`ratePerKey`). */
  #lastSweep = 0;
  /** Running tasks, oldest first (an intrusive list through `Running.previous` / `next`). */
  #first: Running | undefined;
  #last: Running | undefined;
  readonly #events: Emitter<ConcurrencyEvents>;
  /** Whether `empty` / `idle` held at the last notification (events fire on the change). */
  #wasEmpty = true;
  #wasIdle = true;
  readonly #submitter: Submit = (fn, options, parent) => this.#submit(fn, options, parent);

  /** @throws {InvalidOptionError} when an option is out of range. */
  constructor(options: ConcurrencyManagerOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
    knownOptions(options, KNOWN, ALIASES, 'ConcurrencyManager');
    this.#concurrency = integer('concurrency', options.concurrency ?? 5, 1, Infinity, true);
    this.#maxQueued = integer('maxQueued', options.maxQueued ?? Infinity, 0, Infinity, true);
    this.#wait = oneOf('whenQueueFull', options.whenQueueFull ?? 'reject', ['reject', 'wait']) === 'wait';
    this.#queueTimeoutMs = optionalNumber('queueTimeoutMs', options.queueTimeoutMs, 1, Number.MAX_SAFE_INTEGER);
    this.#perKey = options.concurrencyPerKey === undefined ? undefined : integer('concurrencyPerKey', options.concurrencyPerKey, 1);
    this.#reentrant = oneOf('reentrant', options.reentrant ?? 'off', ['off', 'detect', 'throw']);
    this.#paused = optionalBoolean('paused', options.paused) ?? false;
    this.#timeoutMs = optionalNumber('timeoutMs', options.timeoutMs, 1, Number.MAX_SAFE_INTEGER);
    const rate = rateLimit('rate', options.rate);
    this.#rate = rate === undefined ? undefined : startLimit(rate);
    this.#ratePerKey = rateLimit('ratePerKey', options.ratePerKey);
    this.#events = new Emitter(optionalFunction<HookErrorHandler>('onHookError', options.onHookError) ?? warnHookError);
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

  /**
   * `{ active, queued, concurrency, borrowed, timedOut }`: `active` counts every running task,
   * `borrowed` those of them on a parent's slot, `timedOut` those past their timeout still running.
   */
  status(): ConcurrencyStatus {
    return { active: this.#active + this.#borrowed, queued: this.#queued + this.#admitting, concurrency: this.#concurrency, borrowed: this.#borrowed, timedOut: this.#timedOut };
  }

  /** A snapshot of the running tasks, in start order. */
  running(): RunningTask[] {
    const list: RunningTask[] = [];
    for (let r = this.#first; r !== undefined; r = r.next) list.push({ id: r.id, key: r.key, startedAt: r.startedAt, timeoutMs: r.timeoutMs, timedOut: r.timedOut, borrowed: r.lender !== undefined });
    return list;
  }

  /**
   * How many tasks wait with this `priority` and/or `key` (both optional; `{}` counts every waiting
   * task, like `queued`). Walks the queue: O(queued).
   */
  sizeBy(filter: { readonly priority?: number; readonly key?: string } = {}): number {
    let count = 0;
    this.#eachWaiting((task) => {
      if ((filter.priority === undefined || task.priority === filter.priority) && (filter.key === undefined || task.key === filter.key)) count++;
    });
    return count;
  }

  /**
   * Changes the priority of the first waiting task with this `id` (in queue order); it moves behind
   * the tasks already waiting with the new priority, as if it had just been added (p-queue's rule).
   * A task held back by its key, or waiting for room in a full queue, keeps that place in line; the
   * new priority applies when it re-enters the queue. Returns whether a task was found: `false` when none with this id waits (it started, settled, or
   * never existed) — where p-queue throws, since a task starting between the caller's check and this
   * call is a race, not a mistake.
   * @throws {InvalidOptionError} when `priority` is not a number.
   */
  setPriority(id: string, priority: number): boolean {
    const value = number('priority', priority, -Infinity);
    let found: Task | undefined;
    this.#eachWaiting((task) => {
      if (found === undefined && task.extras?.id === id) found = task;
    });
    if (found === undefined) return false;
    if (this.#queue.remove(found)) {
      found.priority = value;
      this.#queue.push(found);
    } else found.priority = value; // held back by its key or waiting for room: it keeps that place
    this.#drain();
    return true;
  }

  /** Calls `visit` on every live waiting task: queue order, then those held back by their key, then those waiting for room. */
  #eachWaiting(visit: (task: Task) => void): void {
    const live = (task: Task): void => {
      if ((task.flags & (CANCELLED | STARTED)) === 0) visit(task);
    };
    this.#queue.forEach(live);
    for (const state of this.#keys.values()) state.waiting.forEach(live);
    this.#admission.forEach(live);
  }

  /**
   * Subscribes to one kind of event; returns the function that unsubscribes. A listener that throws
   * is reported to `onHookError` and changes nothing. `empty` and `idle` fire when the state is
   * reached (not again while it holds); `completed` / `error` when a task's promise settles, `next`
   * when its slot is freed.
   *
   * @example
   * ```ts
   * const off = limiter.on('error', ({ id, error }) => log.warn({ id, err: error }, 'task failed'));
   * off();
   * ```
   */
  on<K extends keyof ConcurrencyEvents>(type: K, listener: (event: ConcurrencyEvents[K]) => void): () => void {
    return this.#events.on(type, listener);
  }

  /** Resolves once fewer than `size` tasks wait (at once if so already): back-pressure for producers. */
  onSizeLessThan(size: number): Promise<void> {
    const limit = number('size', size, -Infinity);
    if (this.#queued + this.#admitting < limit) return Promise.resolve();
    return new Promise((resolve) => this.#sizeWaiters.push({ size: limit, resolve }));
  }

  /** Resolves once no task runs (at once if none does); tasks may still wait, e.g. while paused. */
  onPendingZero(): Promise<void> {
    if (this.#active + this.#borrowed === 0) return Promise.resolve();
    return new Promise((resolve) => this.#pendingZeroWaiters.push(resolve));
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
    let id: string | undefined;
    let timeoutMs = this.#timeoutMs;
    if (options !== undefined) {
      try {
        priority = options.priority === undefined ? 0 : number('priority', options.priority, -Infinity);
        if (options.key !== undefined && typeof options.key !== 'string') throw new InvalidOptionError('key', 'a string', options.key);
        key = options.key;
        if (options.id !== undefined && typeof options.id !== 'string') throw new InvalidOptionError('id', 'a string', options.id);
        id = options.id;
        if (options.timeoutMs !== undefined) timeoutMs = number('timeoutMs', options.timeoutMs, 1, Number.MAX_SAFE_INTEGER);
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

    const adding = this.#events.has('add');
    // Fast path: a slot is free and nobody waits ahead.
    if (!this.#paused && this.#active < this.#concurrency && this.#queued === 0 && this.#admitting === 0 && this.#keyOpen(key, parent) && this.#rateWait(key) === 0) {
      if (adding) this.#events.emit('add', { id, key, priority });
      return this.#start(fn, key, undefined, parent, signal, id, timeoutMs);
    }
    // A nested run may borrow its parent's slot while the parent awaits it.
    if (parent !== undefined && !parent.lent && !this.#paused && this.#keyOpen(key, parent) && this.#rateWait(key) === 0) {
      if (adding) this.#events.emit('add', { id, key, priority });
      return this.#start(fn, key, parent, parent, signal, id, timeoutMs);
    }

    const extras = signal === undefined && id === undefined && timeoutMs === undefined && this.#queueTimeoutMs === undefined ? undefined : { signal, onAbort: undefined, timer: undefined, id, timeoutMs };
    const task = new Task(fn, priority, key, new AsyncResource('bulwark.ConcurrencyManager'), extras);
    task.seq = this.#seq++;
    const promise = new Promise<unknown>((resolve) => {
      task.resolve = resolve;
    });
    // Callers already waiting for room go first: a newcomer never overtakes them.
    if (this.#queued >= this.#maxQueued || this.#admitting > 0) {
      if (!this.#wait) return Promise.reject(new QueueFullError(this.#maxQueued, this.#concurrency));
      this.#admitting++;
      task.flags |= ADMITTING;
      this.#admission.push(task);
    } else {
      this.#queued++;
      this.#queue.push(task);
    }
    this.#wasEmpty = false;
    if (parent !== undefined) {
      task.parent = parent;
      task.caller = parent;
      (parent.waiting ??= []).push(task);
      this.#lenders.add(parent);
    }
    this.#watch(task);
    // Announced once it can be found (setPriority in an `add` listener works), before it may start.
    if (adding) this.#events.emit('add', { id, key, priority });
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

  /**
   * The key place of the nearest task up the chain of callers that is on one for this key and whose
   * family still runs: a descendant of it shares that place (else it could never start while its
   * ancestor awaits it), whoever in the family settles first.
   */
  #familyPlace(caller: Running | undefined, key: string | undefined): KeyPlace | undefined {
    if (key === undefined || this.#perKey === undefined) return undefined;
    for (let r = caller; r !== undefined; r = r.caller) {
      const place = r.place;
      if (place !== undefined && place.key === key && place.members > 0) return place;
    }
    return undefined;
  }

  /** Whether a task of this key, started from `caller`, may start as far as its key goes. */
  #keyOpen(key: string | undefined, caller: Running | undefined): boolean {
    return this.#keyFree(key) || this.#familyPlace(caller, key) !== undefined;
  }

  /** Milliseconds until the rate limits allow a start of a task with this key (0: now; no clock read without limits). */
  #rateWait(key: string | undefined): number {
    if (this.#rate === undefined && this.#ratePerKey === undefined) return 0;
    const now = this.#clock.now();
    const global = this.#rate === undefined ? 0 : this.#rate.wait(now);
    const own = key === undefined || this.#ratePerKey === undefined ? 0 : (this.#keys.get(key)?.window?.wait(now) ?? 0);
    return global > own ? global : own;
  }

  /** Runs `#wake` after `ms` (keeping an earlier wake-up if one is armed). Armed only while a task waits for a rate window. */
  #wakeAfter(wait: number): void {
    // Whole milliseconds (timers round anyway): a wake-up never comes before the window has room.
    const ms = Math.ceil(wait);
    const at = this.#clock.now() + ms;
    if (this.#rateTimer !== undefined) {
      if (this.#rateTimerAt <= at) return;
      this.#rateTimer.cancel();
    }
    this.#rateTimerAt = at;
    this.#rateTimer = startTimer(this.#clock, ms, () => {
      this.#rateTimer = undefined;
      this.#rateTimerAt = Infinity;
      this.#wake();
    });
  }

  /** A rate window opened: tasks held back by their key's rate go back to the front of the queue, then the queue drains. */
  #wake(): void {
    if (this.#ratePerKey !== undefined) {
      const now = this.#clock.now();
      const held: Task[] = [];
      for (const state of this.#keys.values()) {
        if (state.waiting.head === undefined || state.window === undefined) continue;
        const wait = state.window.wait(now);
        if (wait > 0) {
          this.#wakeAfter(wait);
          continue;
        }
        state.waiting.drainEach((task) => {
          if ((task.flags & (CANCELLED | STARTED)) === 0) held.push(task);
        });
      }
      // In submission order, ahead of everything still queued at their priority (they were dequeued before it).
      for (const task of held) this.#returnTask(task);
    }
    this.#drain();
  }

  #keyState(key: string): KeyState {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { active: 0, waiting: new LinkedQueue<Task>(), window: undefined };
      this.#keys.set(key, state);
    }
    return state;
  }

  /** Whether a key's state holds nothing worth keeping: no running task, none held back, no start its rate still counts. */
  #keyUnused(state: KeyState, now: number): boolean {
    return state.active === 0 && state.waiting.head === undefined && (state.window === undefined || state.window.stale(now));
  }

  #pruneKeys(): void {
    const now = this.#ratePerKey === undefined ? 0 : this.#clock.now();
    this.#lastSweep = now;
    for (const [key, state] of this.#keys) if (this.#keyUnused(state, now)) this.#keys.delete(key);
  }

  /** Holds a task back for its key: at the end of the key's line, or — if it had its turn already — at its front. */
  #hold(task: Task, first: boolean): void {
    const waiting = this.#keyState(task.key as string).waiting;
    if (!first) {
      waiting.push(task);
      return;
    }
    task.flags |= FRONT;
    waiting.insertFront(task, (ahead) => (ahead.flags & FRONT) !== 0 && ahead.seq < task.seq);
  }

  /**
   * Puts a task held back by its key (or its key's rate) back at the front of its priority, after
   * the other returned tasks submitted before it: two releases before the queue drains keep their order.
   */
  #returnTask(task: Task): void {
    task.flags &= ~FRONT;
    task.flags |= RETURNED;
    this.#queue.insertFront(task, (ahead) => (ahead.flags & RETURNED) !== 0 && ahead.seq < task.seq);
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
    // It had been put back for a freed key place: the key's next held task takes its turn.
    if ((task.flags & RETURNED) !== 0 && task.key !== undefined) this.#returnNextHeld(task.key);
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
    (task.resource as AsyncResource).runInAsyncScope(this.#runQueued, this, task, lender);
  }

  /** Starts every task that can start: no slot stays idle while a runnable task waits. */
  #drain(): void {
    this.#admit();
    while (!this.#paused && this.#active < this.#concurrency) {
      if (this.#rate !== undefined && this.#queued + this.#admitting > 0) {
        const wait = this.#rate.wait(this.#clock.now());
        if (wait > 0) {
          this.#wakeAfter(wait);
          break;
        }
      }
      // Waiting callers (`whenQueueFull: 'wait'`) go straight to a free slot when nothing startable is
      // queued ahead of them (tasks held back by their key may still count as queued).
      const task = this.#queue.shift() ?? this.#admission.shift();
      if (task === undefined) break;
      const returned = (task.flags & RETURNED) !== 0;
      task.flags &= ~RETURNED;
      if ((task.flags & (CANCELLED | STARTED)) !== 0) continue;
      if (task.key !== undefined && this.#perKey !== undefined && !this.#keyOpen(task.key, task.caller)) {
        // Still counted as queued; keeps its place for its key: one that had been put back (its place
        // taken meanwhile, e.g. by a nested run) goes back to the front of the key's line, not the end.
        this.#hold(task, returned);
        continue;
      }
      if (task.key !== undefined && this.#ratePerKey !== undefined) {
        const wait = this.#keys.get(task.key)?.window?.wait(this.#clock.now()) ?? 0;
        if (wait > 0) {
          this.#hold(task, returned); // held back by its key's rate, same rule
          this.#wakeAfter(wait);
          continue;
        }
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
      // The first waiting child its key and the rates let start; one held back by its key's rate does
      // not hold back a sibling of another key.
      let soonest = Infinity;
      const index = waiting.findIndex((t) => {
        if ((t.flags & (CANCELLED | STARTED)) !== 0) return true;
        if (!this.#keyOpen(t.key, t.caller ?? lender)) return false;
        const wait = this.#rateWait(t.key);
        if (wait > 0 && wait < soonest) soonest = wait;
        return wait === 0;
      });
      if (index === -1) {
        if (soonest !== Infinity) this.#wakeAfter(soonest);
        return;
      }
      const [task] = waiting.splice(index, 1) as [Task];
      if ((task.flags & (CANCELLED | STARTED)) !== 0) continue;
      this.#startQueued(task, lender);
      this.#admit();
    }
    // A started child may have run code that replaced the list (its nested runs, a cancel): only
    // the list walked here may be dropped.
    if (lender.waiting === waiting && waiting.every((t) => (t.flags & (CANCELLED | STARTED)) !== 0)) {
      lender.waiting = undefined;
      this.#lenders.delete(lender);
    }
  }

  #start(fn: TaskFn, key: string | undefined, lender: Running | undefined, caller: Running | undefined, signal: AbortSignal | undefined, id: string | undefined, timeoutMs: number | undefined): Promise<unknown> {
    // A task with a timeout settles through a Task (its caller may be answered before it ends).
    if (timeoutMs !== undefined) {
      const task = new Task(fn, 0, key, undefined, { signal, onAbort: undefined, timer: undefined, id, timeoutMs });
      task.parent = caller;
      task.caller = caller;
      const promise = new Promise<unknown>((resolve) => {
        task.resolve = resolve;
      });
      this.#runQueued(task, lender);
      return promise;
    }
    const running = this.#begin(key, lender, caller, signal, id, undefined, undefined);
    if (contextStorage === undefined || this.#reentrant === 'off') return this.#execute(fn, running);
    return contextStorage.run({ manager: this, running, parent: contextStorage.getStore() }, () => this.#execute(fn, running));
  }

  /** Counts a task as running (on its own slot, or on `lender`'s), records its start, makes its context and arms its timeout. */
  #begin(key: string | undefined, lender: Running | undefined, caller: Running | undefined, signal: AbortSignal | undefined, id: string | undefined, timeoutMs: number | undefined, task: Task | undefined): Running {
    const now = this.#clock.now();
    const controller = timeoutMs === undefined ? undefined : new AbortController();
    const running = new Running(lender, caller, key, controller?.signal ?? signal ?? neverAbortedSignal(), this.#submitter, id, now, timeoutMs);
    if (controller !== undefined) this.#arm(running, controller, signal, task);
    const last = this.#last;
    running.previous = last;
    if (last === undefined) this.#first = running;
    else last.next = running;
    this.#last = running;
    this.#wasIdle = false;
    if (this.#rate !== undefined) this.#rate.record(now);
    if (lender === undefined) this.#active++;
    else {
      lender.borrower = running;
      this.#borrowed++;
    }
    if (key !== undefined) this.#beginKey(running, key, lender, now);
    if (this.#events.has('active')) this.#events.emit('active', { id, key });
    return running;
  }

  /** Arms a task's timeout: its signal aborts at `timeoutMs` (and when the caller's does). */
  #arm(running: Running, controller: AbortController, signal: AbortSignal | undefined, task: Task | undefined): void {
    const timing: Timing = { timer: undefined, unlink: undefined, task };
    running.timing = timing;
    if (signal !== undefined) {
      const onAbort = (): void => controller.abort(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      timing.unlink = () => signal.removeEventListener('abort', onAbort);
    }
    timing.timer = startTimer(this.#clock, running.timeoutMs as number, () => this.#expire(running, controller));
  }

  /** A keyed task's share of its key: the per-key rate window, and a key place (its own, or an ancestor's). */
  #beginKey(running: Running, key: string, lender: Running | undefined, now: number): void {
    if (this.#ratePerKey !== undefined) {
      const state = this.#keyState(key);
      (state.window ??= startLimit(this.#ratePerKey)).record(now);
      // Keys come and go (tenants): forget those whose window is empty, every 1024 keyed starts and at
      // most once per interval otherwise (a burst of keys is forgotten by the next start after it).
      if (++this.#keyRecords % 1024 === 0 || now - this.#lastSweep >= this.#ratePerKey.intervalMs) this.#pruneKeys();
    }
    // A descendant of a task with its key joins that task's place (one place per family); any other
    // task takes a place of its own.
    if (this.#perKey !== undefined) {
      const family = this.#familyPlace(running.caller ?? lender, key);
      if (family !== undefined) {
        family.members++;
        running.place = family;
      } else {
        this.#keyState(key).active++;
        running.place = { key, members: 1 };
      }
    }
  }

  /** A task ran past its `timeoutMs`: its signal aborts and its caller gets the `TaskTimeoutError` now; its slot is freed when it settles. */
  #expire(running: Running, controller: AbortController): void {
    if (running.timing !== undefined) running.timing.timer = undefined;
    if (running.settled || running.timedOut) return;
    running.timedOut = true;
    this.#timedOut++;
    const error = new TaskTimeoutError(running.timeoutMs as number, running.id);
    controller.abort(error);
    running.timing?.task?.reject(error);
    if (this.#events.has('error')) this.#events.emit('error', { id: running.id, key: running.key, error, durationMs: this.#clock.now() - running.startedAt });
  }

  async #execute(fn: TaskFn, running: Running): Promise<unknown> {
    try {
      const value = await fn(running);
      if (this.#events.has('completed')) this.#events.emit('completed', { id: running.id, key: running.key, result: value, durationMs: this.#clock.now() - running.startedAt });
      return value;
    } catch (error) {
      if (this.#events.has('error')) this.#events.emit('error', { id: running.id, key: running.key, error, durationMs: this.#clock.now() - running.startedAt });
      throw error;
    } finally {
      this.#release(running);
    }
  }

  /**
   * Runs a task that settles through its `Task` and settles its caller's promise directly (no promise
   * resolved with a promise) — unless it timed out, whose caller already has the `TaskTimeoutError`.
   */
  async #executeQueued(task: Task, running: Running): Promise<void> {
    let ok = true;
    let outcome: unknown;
    try {
      outcome = await task.fn(running);
    } catch (error) {
      ok = false;
      outcome = error;
    }
    try {
      if (!running.timedOut) {
        if (running.timing !== undefined) {
          running.timing.timer?.cancel();
          running.timing.timer = undefined;
        }
        if (ok) task.resolve(outcome);
        else task.reject(outcome);
        const type = ok ? 'completed' : 'error';
        if (this.#events.has(type)) {
          const durationMs = this.#clock.now() - running.startedAt;
          if (ok) this.#events.emit('completed', { id: running.id, key: running.key, result: outcome, durationMs });
          else this.#events.emit('error', { id: running.id, key: running.key, error: outcome, durationMs });
        }
      }
    } finally {
      this.#release(running);
    }
  }

  #runQueued(task: Task, lender: Running | undefined): void {
    const running = this.#begin(task.key, lender, task.caller, task.extras?.signal, task.extras?.id, task.extras?.timeoutMs, task);
    if (contextStorage === undefined || this.#reentrant === 'off') void this.#executeQueued(task, running);
    else contextStorage.run({ manager: this, running, parent: contextStorage.getStore() }, () => void this.#executeQueued(task, running));
  }

  #release(running: Running): void {
    running.settled = true;
    const timing = running.timing;
    if (timing !== undefined) {
      timing.timer?.cancel();
      timing.unlink?.();
    }
    if (running.timedOut) this.#timedOut--;
    const { previous, next } = running;
    if (previous === undefined) this.#first = next;
    else previous.next = next;
    if (next === undefined) this.#last = previous;
    else next.previous = previous;
    running.previous = undefined;
    running.next = undefined;
    // Its waiting children may now borrow the slot of its nearest running ancestor instead (they are
    // in the main queue too): an ancestor awaiting its grandchild must not wait for a free slot.
    if (running.waiting !== undefined) {
      let ancestor = running.caller;
      while (ancestor !== undefined && ancestor.settled) ancestor = ancestor.caller;
      for (const task of running.waiting) {
        if ((task.flags & (CANCELLED | STARTED)) !== 0) continue;
        task.parent = ancestor;
        if (ancestor !== undefined) (ancestor.waiting ??= []).push(task);
      }
      running.waiting = undefined;
      this.#lenders.delete(running);
      if (ancestor?.waiting !== undefined) this.#lenders.add(ancestor);
    }
    const lender = running.lender;
    const heir = running.borrower;
    // The key place is freed with its family's last member, never while work of that family runs on it.
    const place = running.place;
    const releaseKey = place !== undefined && --place.members === 0;
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
    if (releaseKey) this.#releaseKey(place.key);
    // Announced with the counts already freed: a listener's run() can take the slot.
    if (this.#events.has('next')) this.#events.emit('next', { id: running.id, key: running.key });
    this.#drain();
  }

  #releaseKey(key: string): void {
    const state = this.#keys.get(key);
    if (state === undefined) return;
    state.active--;
    this.#returnNextHeld(key, state);
    if (this.#keyUnused(state, this.#ratePerKey === undefined ? 0 : this.#clock.now())) this.#keys.delete(key);
  }

  /** The key's next held-back task (dequeued before anything now in the queue) goes back first. */
  #returnNextHeld(key: string, state: KeyState | undefined = this.#keys.get(key)): void {
    if (state === undefined) return;
    for (let task = state.waiting.shift(); task !== undefined; task = state.waiting.shift()) {
      if ((task.flags & (CANCELLED | STARTED)) !== 0) continue;
      this.#returnTask(task);
      break;
    }
  }

  #notify(): void {
    const waiting = this.#queued + this.#admitting;
    if (waiting === 0 && this.#rateTimer !== undefined) {
      // Nothing waits for a rate window any more: no timer keeps the process alive.
      this.#rateTimer.cancel();
      this.#rateTimer = undefined;
      this.#rateTimerAt = Infinity;
    }
    if (waiting === 0 && this.#emptyWaiters.length > 0) {
      const waiters = this.#emptyWaiters;
      this.#emptyWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.#sizeWaiters.length > 0) {
      const waiters = this.#sizeWaiters;
      this.#sizeWaiters = waiters.filter((w) => waiting >= w.size);
      for (const w of waiters) if (waiting < w.size) w.resolve();
    }
    if (this.#active + this.#borrowed === 0 && this.#pendingZeroWaiters.length > 0) {
      const waiters = this.#pendingZeroWaiters;
      this.#pendingZeroWaiters = [];
      for (const resolve of waiters) resolve();
    }
    const idle = this.#isIdle();
    if (idle && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
    // Events last, on the change only: a listener that calls back into the manager sees a settled state.
    const empty = waiting === 0;
    const becameEmpty = empty && !this.#wasEmpty;
    const becameIdle = idle && !this.#wasIdle;
    this.#wasEmpty = empty;
    this.#wasIdle = idle;
    if (becameEmpty) this.#events.emit('empty', {});
    // An `empty` listener may have started work: idle only if it still is.
    if (becameIdle && this.#isIdle()) this.#events.emit('idle', {});
    else if (becameIdle) this.#wasIdle = false;
  }
}
