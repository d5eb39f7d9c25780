import { defaultClassifier } from '../classifiers/index.js';
import type { ErrorClassifier, Verdict } from '../classifiers/classifier.js';
import { prop } from '../classifiers/inspect.js';
import { CircuitOpenError } from '../errors/circuit-open-error.js';
import { isAttemptTimeoutError } from '../errors/guards.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { abortReason, neverAbortedSignal, untilAborted } from '../internal/abort.js';
import type { Clock } from '../internal/clock.js';
import { Emitter, warnHookError } from '../internal/events.js';
import type { SignalOptions } from '../internal/options.js';
import { clockOption, integer, knownOptions, number, optionalFunction, optionalSignal, verdictOption } from '../internal/validate.js';
import { verdictOf } from '../internal/verdict.js';
import type { CircuitBreakerOptions, CircuitEvents, CircuitSnapshot, CircuitState, CircuitStatus } from './options.js';

const COUNTED: Verdict = { retriable: true, reason: 'unclassified' };
const BUCKETS = 10;
const STATES: readonly CircuitState[] = ['closed', 'open', 'half-open'];

/**
 * A timeout rather than a cancel: retry's `AttemptTimeoutError`, or a `TimeoutError` (what
 * `AbortSignal.timeout()` aborts with). The dependency was too slow: that is a failure.
 */
function isTimeout(reason: unknown): boolean {
  return isAttemptTimeoutError(reason) || prop(reason, 'name') === 'TimeoutError';
}

/** Read afresh: TypeScript keeps an earlier check's narrowing across a call that may abort. */
const abortedNow = (signal: AbortSignal | undefined): signal is AbortSignal => signal?.aborted === true;

/** Every option `CircuitBreakerOptions` has: anything else is a typo or another library's name. */
const KNOWN = /* @__PURE__ */ new Set([
  'name', 'consecutiveFailures', 'failureRatio', 'windowMs', 'minimumCalls', 'cooldownMs', 'maxCooldownMs', 'cooldownFactor', 'classifier',
  'unknownErrorVerdict', 'restore', 'onHookError', 'clock',
]);
/** What users of cockatiel and opossum reach for, and bulwark's name for it. */
const ALIASES: Readonly<Record<string, string>> = {
  halfOpenAfter: 'cooldownMs',
  resetTimeout: 'cooldownMs',
  errorThresholdPercentage: 'failureRatio (0.5 for 50 %)',
  threshold: 'failureRatio',
  rollingCountTimeout: 'windowMs',
  volumeThreshold: 'minimumCalls',
  timeout: "retry's attemptTimeoutMs",
  errorFilter: 'classifier',
};

/**
 * Stops calling a dependency that is down: after `consecutiveFailures` counted failures in a row (or
 * a `failureRatio` over a sliding window), calls fail fast with a `CircuitOpenError` for
 * `cooldownMs`; then one probe goes through — success closes the circuit, failure opens it again
 * (for a longer cooldown, if `maxCooldownMs` allows). Only failures the classifier calls retriable
 * count. The breaker sets no timer: an idle breaker never keeps a process alive, and fake timers see
 * exact transitions.
 *
 * `retry` treats a `CircuitOpenError` as "wait until the breaker lets a probe through": compose them
 * as `retry(() => breaker.execute(send))`.
 *
 * @example
 * ```ts
 * const smtp = new CircuitBreaker({ name: 'smtp', consecutiveFailures: 5, cooldownMs: 30_000 });
 * smtp.on('open', ({ cooldownMs }) => console.warn(`SMTP down, failing fast for ${cooldownMs} ms`));
 * await retry(() => smtp.execute(() => transporter.sendMail(message)));
 * ```
 */
export class CircuitBreaker {
  readonly #name: string | undefined;
  readonly #threshold: number;
  readonly #ratio: number | undefined;
  readonly #bucketMs: number;
  readonly #minimumCalls: number;
  readonly #baseCooldown: number;
  readonly #maxCooldown: number;
  readonly #factor: number;
  readonly #classifier: ErrorClassifier;
  readonly #unknown: Verdict;
  readonly #clock: Clock;
  readonly #events: Emitter<CircuitEvents>;
  readonly #onHookError: (error: unknown, hook: string) => void;
  #state: CircuitState = 'closed';
  #consecutive = 0;
  #cooldown: number;
  #openUntil = 0;
  #probing = false;
  #rejected = 0;
  /** Bumped by every transition: late results of calls from an earlier circuit are ignored. */
  #generation = 0;
  /** Ring of buckets: [calls, failures] per `windowMs / 10`. */
  readonly #calls = new Array<number>(BUCKETS).fill(0);
  readonly #failures = new Array<number>(BUCKETS).fill(0);
  #bucket = 0;
  #bucketStart = 0;

  /** @throws {InvalidOptionError} when an option is out of range or unknown. */
  constructor(options: CircuitBreakerOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object', options);
    knownOptions(options, KNOWN, ALIASES, 'CircuitBreaker');
    if (options.name !== undefined && typeof options.name !== 'string') throw new InvalidOptionError('name', 'a string', options.name);
    this.#name = options.name;
    this.#threshold = integer('consecutiveFailures', options.consecutiveFailures ?? 5, 1);
    this.#ratio = options.failureRatio === undefined ? undefined : number('failureRatio', options.failureRatio, Number.MIN_VALUE, 1);
    this.#bucketMs = number('windowMs', options.windowMs ?? 60_000, 10, Number.MAX_SAFE_INTEGER) / BUCKETS;
    this.#minimumCalls = integer('minimumCalls', options.minimumCalls ?? 10, 1);
    this.#baseCooldown = number('cooldownMs', options.cooldownMs ?? 30_000, 0, Number.MAX_SAFE_INTEGER);
    this.#maxCooldown = number('maxCooldownMs', options.maxCooldownMs ?? this.#baseCooldown, this.#baseCooldown, Number.MAX_SAFE_INTEGER);
    this.#factor = number('cooldownFactor', options.cooldownFactor ?? 2, 1);
    this.#classifier = optionalFunction('classifier', options.classifier) ?? defaultClassifier;
    this.#unknown = verdictOption('unknownErrorVerdict', options.unknownErrorVerdict) ?? COUNTED;
    this.#clock = clockOption(options.clock);
    this.#onHookError = optionalFunction('onHookError', options.onHookError) ?? warnHookError;
    this.#events = new Emitter(this.#onHookError);
    this.#cooldown = this.#baseCooldown;
    this.#bucketStart = this.#clock.now();
    if (options.restore !== undefined) this.#restore(options.restore);
  }

  /** The state now (an open circuit whose cooldown has passed reads `half-open`). */
  get state(): CircuitState {
    this.#tick();
    return this.#state;
  }

  /** The state and its counters. */
  status(): CircuitStatus {
    this.#tick();
    this.#roll();
    let windowCalls = 0;
    let windowFailures = 0;
    for (let i = 0; i < BUCKETS; i++) {
      windowCalls += this.#calls[i] as number;
      windowFailures += this.#failures[i] as number;
    }
    return { state: this.#state, consecutiveFailures: this.#consecutive, windowCalls, windowFailures, retryAfterMs: this.#retryAfter(), rejected: this.#rejected };
  }

  /**
   * Subscribes to `open`, `halfOpen`, `close` or `reject`; returns the unsubscribe function. A
   * listener that throws goes to `onHookError` and changes nothing.
   */
  on<K extends keyof CircuitEvents>(type: K, listener: (event: CircuitEvents[K]) => void): () => void {
    return this.#events.on(type, listener);
  }

  /**
   * Calls `fn` if the circuit allows it, and records the outcome. Rejects at once with a
   * `CircuitOpenError` while open (and, while half-open, for every call but the probe).
   *
   * With a `signal`, the call ends when it aborts, whether `fn` listens or not, and the abort wins
   * over whatever `fn` did meanwhile (as in `retry`): a call abandoned because it timed out (the
   * reason is an `AttemptTimeoutError`, or the `TimeoutError` of `AbortSignal.timeout()`) counts as a
   * failure; one cancelled by the caller counts as nothing — and a probe so ended frees the probe
   * slot either way.
   */
  execute<T>(fn: (context: { readonly signal: AbortSignal }) => T | PromiseLike<T>, options?: SignalOptions): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidOptionError('fn', 'a function', fn);
    const signal = optionalSignal('signal', options?.signal);
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    this.#tick();
    if (this.#state === 'open' || (this.#state === 'half-open' && this.#probing)) {
      this.#rejected++;
      const retryAfterMs = this.#retryAfter();
      this.#events.emit('reject', { type: 'reject', retryAfterMs });
      return Promise.reject(new CircuitOpenError(retryAfterMs, this.#name));
    }
    const probe = this.#state === 'half-open';
    if (probe) this.#probing = true;
    const generation = this.#generation;
    let recorded = false;
    /** `aborted`: the caller's signal ended the call (`error` is its reason). */
    const record = (error: unknown, failed: boolean, aborted = false): void => {
      if (recorded) return;
      recorded = true;
      // A result from before a reset() or a reopening belongs to a circuit that no longer exists.
      if (generation !== this.#generation) return;
      if (failed && (aborted || (signal?.aborted === true && error === signal.reason)) && !isTimeout(error)) {
        if (probe) this.#probing = false; // cancelled by the caller: neither a success nor a failure
        return;
      }
      this.#record(error, failed, probe);
    };
    let result: T | PromiseLike<T>;
    try {
      result = fn({ signal: signal ?? neverAbortedSignal() });
    } catch (error) {
      // An abort during the call wins, whether `fn` then threw or returned (`untilAborted` below).
      if (abortedNow(signal)) {
        const reason = abortReason(signal);
        record(reason, true, true);
        return Promise.reject(reason);
      }
      record(error, true);
      return Promise.reject(error);
    }
    let settled: Promise<T>;
    try {
      settled = Promise.resolve(result).then(
        (value) => {
          record(undefined, false);
          return value;
        },
        (error: unknown) => {
          record(error, true);
          throw error;
        },
      );
    } catch (error) {
      // A promise whose own `then` throws: a failure, never a throw from here with the probe slot taken.
      record(error, true);
      return Promise.reject(error);
    }
    return untilAborted(settled, signal, (reason) => record(reason, true, true));
  }

  /** Closes the circuit and forgets its failures (e.g. after an operator fixed the dependency). */
  reset(): void {
    const wasClosed = this.#state === 'closed';
    this.#close();
    if (wasClosed) return;
    this.#events.emit('close', { type: 'close' });
  }

  /** The state to save (JSON), restorable with the `restore` option, e.g. across a restart. */
  snapshot(): CircuitSnapshot {
    this.#tick();
    return { state: this.#state, retryAfterMs: this.#retryAfter(), cooldownMs: this.#cooldown, consecutiveFailures: this.#consecutive, savedAt: Date.now() };
  }

  #restore(snapshot: CircuitSnapshot): void {
    const candidate = snapshot as Partial<CircuitSnapshot> | null;
    const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
    if (typeof candidate !== 'object' || candidate === null || !STATES.includes(candidate.state as CircuitState) || !finite(candidate.retryAfterMs) || !finite(candidate.savedAt) || !finite(candidate.cooldownMs) || !finite(candidate.consecutiveFailures)) {
      throw new InvalidOptionError('restore', 'a snapshot from CircuitBreaker.snapshot() (finite numbers)', snapshot);
    }
    const s = candidate as CircuitSnapshot;
    this.#consecutive = Math.max(0, Math.floor(s.consecutiveFailures));
    this.#cooldown = Math.min(this.#maxCooldown, Math.max(this.#baseCooldown, s.cooldownMs));
    if (s.state === 'closed') return;
    // Time spent down (by wall clock: the process may have restarted) counts toward the cooldown.
    const remaining = Math.max(0, s.retryAfterMs - Math.max(0, Date.now() - s.savedAt));
    this.#state = 'open';
    this.#openUntil = this.#clock.now() + remaining;
    this.#tick();
  }

  #retryAfter(): number {
    if (this.#state === 'open') return Math.max(0, this.#openUntil - this.#clock.now());
    return 0;
  }

  /** Open → half-open once the cooldown has passed. */
  #tick(): void {
    if (this.#state === 'open' && this.#clock.now() >= this.#openUntil) {
      this.#state = 'half-open';
      this.#probing = false;
      this.#events.emit('halfOpen', { type: 'halfOpen' });
    }
  }

  /** Moves the ratio window forward, emptying buckets that fell out of it. */
  #roll(): void {
    if (this.#ratio === undefined) return;
    const now = this.#clock.now();
    const elapsed = now - this.#bucketStart;
    if (elapsed < this.#bucketMs) return; // still in the current bucket: the usual case
    let steps = Math.floor(elapsed / this.#bucketMs);
    if (steps > BUCKETS) steps = BUCKETS;
    for (let i = 0; i < steps; i++) {
      this.#bucket = (this.#bucket + 1) % BUCKETS;
      this.#calls[this.#bucket] = 0;
      this.#failures[this.#bucket] = 0;
    }
    this.#bucketStart = now - ((now - this.#bucketStart) % this.#bucketMs);
  }

  #counts(error: unknown): boolean {
    return (verdictOf(this.#classifier, error, this.#onHookError) ?? this.#unknown).retriable;
  }

  #record(error: unknown, failed: boolean, probe: boolean): void {
    const counted = failed && this.#counts(error);
    if (probe) {
      this.#probing = false;
      if (counted) {
        this.#cooldown = Math.min(this.#maxCooldown, this.#cooldown * this.#factor);
        this.#open(error);
      } else {
        this.#close();
        this.#events.emit('close', { type: 'close' });
      }
      return;
    }
    if (this.#state !== 'closed') return; // a late result of a call made before the circuit opened
    this.#roll();
    this.#calls[this.#bucket] = (this.#calls[this.#bucket] as number) + 1;
    if (!counted) {
      this.#consecutive = 0;
      return;
    }
    this.#failures[this.#bucket] = (this.#failures[this.#bucket] as number) + 1;
    this.#consecutive++;
    if (this.#consecutive >= this.#threshold || this.#ratioExceeded()) this.#open(error);
  }

  #ratioExceeded(): boolean {
    if (this.#ratio === undefined) return false;
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < BUCKETS; i++) {
      calls += this.#calls[i] as number;
      failures += this.#failures[i] as number;
    }
    return calls >= this.#minimumCalls && failures / calls >= this.#ratio;
  }

  #open(cause: unknown): void {
    this.#generation++;
    this.#state = 'open';
    this.#openUntil = this.#clock.now() + this.#cooldown;
    this.#events.emit('open', { type: 'open', cooldownMs: this.#cooldown, cause });
  }

  #close(): void {
    this.#generation++;
    this.#state = 'closed';
    this.#probing = false;
    this.#consecutive = 0;
    this.#cooldown = this.#baseCooldown;
    this.#calls.fill(0);
    this.#failures.fill(0);
    this.#bucketStart = this.#clock.now();
  }
}
