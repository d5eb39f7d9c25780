import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AttemptTimeoutError,
  InvalidOptionError,
  PermanentError,
  RetryBudget,
  RetryExhaustedError,
  RetryService,
  UnacceptableResultError,
  retry,
  type RetryEvent,
} from '../../src/index.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

function errno(code: string, message = code): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** An operation failing with `failures[i]` on call i, then returning `value`. */
function scripted<T>(failures: unknown[], value: T): { fn: () => Promise<T>; calls: () => number } {
  let calls = 0;
  return {
    fn: async () => {
      const failure = failures[calls++];
      if (failure !== undefined) throw failure;
      return value;
    },
    calls: () => calls,
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry: delays', () => {
  it('waits exactly 1000 then 2000 ms with the defaults and jitter none', async () => {
    const op = scripted([errno('ECONNRESET'), errno('ECONNRESET')], 'ok');
    const promise = retry(op.fn, { jitter: 'none' });
    await vi.advanceTimersByTimeAsync(0);
    expect(op.calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(op.calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(op.calls()).toBe(2);
    await vi.advanceTimersByTimeAsync(1999);
    expect(op.calls()).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(op.calls()).toBe(3);
    await expect(promise).resolves.toBe('ok');
  });

  it('caps the delay at maxDelayMs', async () => {
    const delays: number[] = [];
    const op = scripted(Array.from({ length: 5 }, () => errno('EBUSY')), 'done');
    const promise = retry(op.fn, {
      maxAttempts: 6,
      jitter: 'none',
      initialDelayMs: 1000,
      factor: 10,
      maxDelayMs: 5000,
      onRetry: (e) => delays.push(e.delayMs ?? -1),
    });
    await vi.runAllTimersAsync();
    await expect(promise).resolves.toBe('done');
    expect(delays).toEqual([1000, 5000, 5000, 5000, 5000]);
  });

  it('keeps jittered delays within their bounds (equal jitter is the default)', async () => {
    const delays: number[] = [];
    const randoms = [0, 0.999_999, 0.5];
    let i = 0;
    const op = scripted([errno('ETIMEDOUT'), errno('ETIMEDOUT'), errno('ETIMEDOUT')], 1);
    const promise = retry(op.fn, { maxAttempts: 4, random: () => randoms[i++] ?? 0, onRetry: (e) => delays.push(e.delayMs ?? -1) });
    await vi.runAllTimersAsync();
    await promise;
    expect(delays).toEqual([500, 1999, 3000]);
  });

  it('full and decorrelated jitter stay within bounds over many draws', async () => {
    for (const jitter of ['full', 'decorrelated'] as const) {
      const delays: number[] = [];
      const op = scripted(Array.from({ length: 7 }, () => errno('EAGAIN')), 1);
      const promise = retry(op.fn, { maxAttempts: 8, jitter, onRetry: (e) => delays.push(e.delayMs ?? -1) });
      await vi.runAllTimersAsync();
      await promise;
      expect(delays).toHaveLength(7);
      for (const [n, d] of delays.entries()) {
        expect(d).toBeGreaterThanOrEqual(jitter === 'full' ? 0 : 1000);
        expect(d).toBeLessThanOrEqual(jitter === 'full' ? Math.min(10_000, 1000 * 2 ** n) : 10_000);
      }
    }
  });
});

describe('retry: outcomes', () => {
  it('passes attempt numbers and a signal to the operation', async () => {
    const seen: Array<{ attempt: number; aborted: boolean }> = [];
    const promise = retry(
      ({ attempt, signal }) => {
        seen.push({ attempt, aborted: signal.aborted });
        if (attempt < 3) throw errno('ECONNRESET');
        return attempt;
      },
      { initialDelayMs: 10 },
    );
    await vi.runAllTimersAsync();
    await expect(promise).resolves.toBe(3);
    expect(seen).toEqual([
      { attempt: 1, aborted: false },
      { attempt: 2, aborted: false },
      { attempt: 3, aborted: false },
    ]);
  });

  it('gives up after maxAttempts with every error, the count and the elapsed time', async () => {
    const errors = [errno('ECONNRESET', 'a'), errno('ECONNRESET', 'b'), errno('ECONNRESET', 'c')];
    const op = scripted(errors, 'never');
    const promise = retry(op.fn, { jitter: 'none', operation: 'Fetching report' });
    const assertion = expect(promise).rejects.toSatisfy((error: unknown) => {
      expect(error).toBeInstanceOf(RetryExhaustedError);
      const e = error as RetryExhaustedError;
      expect(e.code).toBe('ERR_BULWARK_RETRY_EXHAUSTED');
      expect(e.attempts).toBe(3);
      expect(e.errors).toEqual(errors);
      expect(e.cause).toBe(errors[2]);
      expect(e.elapsedMs).toBe(3000);
      expect(e.reason).toBe('max-attempts');
      expect(e.verdict).toEqual({ retriable: true, reason: 'network ECONNRESET' });
      expect(e.message).toBe('Fetching report failed after 3 attempts: c');
      return true;
    });
    await vi.runAllTimersAsync();
    await assertion;
    expect(op.calls()).toBe(3);
  });

  it('stops at once on a permanent error and rethrows it unchanged', async () => {
    const enoent = errno('ENOENT', "ENOENT: no such file or directory, open '/x.png'");
    const op = scripted([enoent], 'never');
    const promise = retry(op.fn);
    await expect(promise).rejects.toBe(enoent);
    expect(op.calls()).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops at once on a PermanentError, whatever its cause', async () => {
    const op = scripted([new PermanentError(errno('ECONNRESET'))], 'never');
    await expect(retry(op.fn)).rejects.toBeInstanceOf(PermanentError);
    expect(op.calls()).toBe(1);
  });

  it('classifies thrown non-Error values instead of dropping them', async () => {
    const op = scripted(['boom', { reason: 'weird' }, 42], 'never');
    const promise = retry(op.fn, { initialDelayMs: 1 });
    const assertion = expect(promise).rejects.toSatisfy((e: unknown) => {
      expect(e).toBeInstanceOf(RetryExhaustedError);
      expect((e as RetryExhaustedError).errors).toEqual(['boom', { reason: 'weird' }, 42]);
      expect((e as RetryExhaustedError).verdict).toEqual({ retriable: true, reason: 'unclassified' });
      return true;
    });
    await vi.runAllTimersAsync();
    await assertion;
  });

  it('uses unknownErrorVerdict for unrecognised errors', async () => {
    const op = scripted([new Error('mystery')], 'never');
    await expect(retry(op.fn, { unknownErrorVerdict: { retriable: false, reason: 'unknown' } })).rejects.toThrow('mystery');
    expect(op.calls()).toBe(1);
  });

  it('catches synchronous throws from the operation', async () => {
    const promise = retry(
      () => {
        throw errno('EACCES');
      },
    );
    await expect(promise).rejects.toMatchObject({ code: 'EACCES' });
  });
});

describe('retry: Retry-After and results', () => {
  it("uses a verdict's delayMs (Retry-After seconds) instead of the backoff", async () => {
    const tooMany = Object.assign(new Error('429'), { status: 429, headers: { 'retry-after': '3' } });
    const op = scripted([tooMany], 'ok');
    const promise = retry(op.fn, { jitter: 'none' });
    await vi.advanceTimersByTimeAsync(2999);
    expect(op.calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(op.calls()).toBe(2);
    await expect(promise).resolves.toBe('ok');
  });

  it('honours Retry-After exactly up to maxRetryAfterMs (not capped by maxDelayMs), and gives up past it', async () => {
    const delays: number[] = [];
    const busy = (seconds: string) => Object.assign(new Error('503'), { status: 503, headers: { 'retry-after': seconds } });
    const waited = retry(scripted([busy('30')], 1).fn, { maxDelayMs: 4000, onRetry: (e) => delays.push(e.delayMs ?? -1) });
    await vi.runAllTimersAsync();
    await expect(waited).resolves.toBe(1);
    expect(delays).toEqual([30_000]);

    const op = scripted([busy('100000000000')], 1);
    const parked = retry(op.fn, { onRetry: () => delays.push(-2) });
    await expect(parked).rejects.toMatchObject({ code: 'ERR_BULWARK_RETRY_EXHAUSTED', reason: 'retry-after', attempts: 1 });
    expect(op.calls()).toBe(1);
    expect(delays).toEqual([30_000]); // no onRetry for a wait that is not taken
  });

  it('retries a fetch Response rejected by retryOnResult, honouring its Retry-After', async () => {
    const responses = [
      new Response('busy', { status: 503, headers: { 'Retry-After': '2' } }),
      new Response('fine', { status: 200 }),
    ];
    let calls = 0;
    const promise = retry(async () => responses[calls++] as Response, { retryOnResult: (r) => !r.ok, jitter: 'none' });
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const res = await promise;
    expect(res.status).toBe(200);
    expect(calls).toBe(2);
  });

  it('fails at once with UnacceptableResultError when the rejected result is permanent (404)', async () => {
    const notFound = new Response('nope', { status: 404 });
    const promise = retry(async () => notFound, { retryOnResult: (r) => !r.ok });
    await expect(promise).rejects.toSatisfy((e: unknown) => {
      expect(e).toBeInstanceOf(UnacceptableResultError);
      expect((e as UnacceptableResultError).result).toBe(notFound);
      expect((e as UnacceptableResultError).verdict).toEqual({ retriable: false, reason: 'http 404' });
      return true;
    });
  });
});

describe('retry: cancellation and time limits', () => {
  it('rejects promptly with the reason when aborted during the wait, starting no further attempt', async () => {
    const controller = new AbortController();
    const op = scripted([errno('ECONNRESET'), errno('ECONNRESET')], 'ok');
    const promise = retry(op.fn, { signal: controller.signal, jitter: 'none' });
    const assertion = expect(promise).rejects.toBe('shutting down');
    await vi.advanceTimersByTimeAsync(500);
    controller.abort('shutting down');
    await assertion;
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(op.calls()).toBe(1);
  });

  it('never calls the operation with an already-aborted signal', async () => {
    const reason = new Error('gone');
    const fn = vi.fn(async () => 1);
    await expect(retry(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  it("rethrows the caller's abort reason even when the operation rejects with something else", async () => {
    const controller = new AbortController();
    const promise = retry(async ({ signal }) => {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('fetch aborted'))));
    }, { signal: controller.signal });
    controller.abort(new Error('user cancelled'));
    await expect(promise).rejects.toThrow('user cancelled');
  });

  it('times out an attempt, aborts its signal with the AttemptTimeoutError, and retries', async () => {
    const signals: AbortSignal[] = [];
    const promise = retry(
      ({ attempt, signal }) => {
        signals.push(signal);
        if (attempt === 1) return new Promise<string>(() => {}); // hangs forever
        return 'second';
      },
      { attemptTimeoutMs: 5000, jitter: 'none' },
    );
    await vi.advanceTimersByTimeAsync(4999);
    expect(signals).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(AttemptTimeoutError);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(promise).resolves.toBe('second');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a late rejection after a timeout is not an unhandled rejection', async () => {
    const promise = retry(
      () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 10_000)),
      { attemptTimeoutMs: 100, maxAttempts: 1 },
    );
    const assertion = expect(promise).rejects.toBeInstanceOf(RetryExhaustedError);
    await vi.advanceTimersByTimeAsync(20_000);
    await assertion;
  });

  it('does not start an attempt that cannot begin within maxElapsedMs', async () => {
    const op = scripted(Array.from({ length: 10 }, () => errno('ECONNRESET')), 'never');
    const promise = retry(op.fn, { maxAttempts: 10, jitter: 'none', maxElapsedMs: 5000 });
    const assertion = expect(promise).rejects.toSatisfy((e: unknown) => {
      expect((e as RetryExhaustedError).reason).toBe('max-elapsed');
      // 1000 + 2000 waited (elapsed 3000); the next wait of 4000 would end at 7000 >= 5000.
      expect((e as RetryExhaustedError).attempts).toBe(3);
      expect((e as RetryExhaustedError).elapsedMs).toBe(3000);
      return true;
    });
    await vi.runAllTimersAsync();
    await assertion;
    expect(op.calls()).toBe(3);
  });
});

describe('retry: budget', () => {
  it('stops retrying when the shared budget is spent, and recovers as the window slides', async () => {
    const budget = new RetryBudget({ ratio: 0, minRetriesPerWindow: 2, windowMs: 10_000 });
    const service = new RetryService({ budget, initialDelayMs: 1, jitter: 'none', maxAttempts: 3 });
    const failing = (): Promise<never> => Promise.reject(errno('ECONNRESET'));

    const first = service.execute(failing); // uses both retries
    const firstDone = expect(first).rejects.toMatchObject({ reason: 'max-attempts', attempts: 3 });
    await vi.advanceTimersByTimeAsync(10);
    await firstDone;

    const second = service.execute(failing);
    await expect(second).rejects.toMatchObject({ reason: 'budget', attempts: 1 });
    expect(budget.status()).toEqual({ calls: 2, retries: 2, available: 0 });

    await vi.advanceTimersByTimeAsync(10_000);
    expect(budget.status().available).toBe(2);
  });

  it('allows retries in proportion to calls', () => {
    let now = 0;
    const budget = new RetryBudget({ ratio: 0.2, minRetriesPerWindow: 0, windowMs: 1000, clock: { now: () => now, setTimeout: () => 0, clearTimeout: () => {} } });
    for (let i = 0; i < 10; i++) budget.recordCall();
    expect([budget.tryAcquireRetry(), budget.tryAcquireRetry(), budget.tryAcquireRetry()]).toEqual([true, true, false]);
    now = 1000; // the whole window slid past
    expect(budget.tryAcquireRetry()).toBe(false);
    budget.recordCall();
    for (let i = 0; i < 4; i++) budget.recordCall();
    expect(budget.tryAcquireRetry()).toBe(true);
  });
});

describe('retry: hooks and logging', () => {
  it('calls every hook with the documented fields', async () => {
    const events: Array<[string, RetryEvent]> = [];
    const boom = errno('ECONNRESET', 'reset');
    const op = scripted([boom], 'ok');
    const promise = retry(op.fn, {
      jitter: 'none',
      operation: 'Op',
      onAttempt: (e) => events.push(['attempt', e]),
      onRetry: (e) => events.push(['retry', e]),
      onSuccess: (e) => events.push(['success', e]),
      onFailure: (e) => events.push(['failure', e]),
    });
    await vi.runAllTimersAsync();
    await promise;
    const base = { maxAttempts: 3, operation: 'Op' };
    expect(events).toEqual([
      ['attempt', { ...base, attempt: 1, delayMs: 0, error: undefined, verdict: undefined, elapsedMs: 0 }],
      ['retry', { ...base, attempt: 1, delayMs: 1000, error: boom, verdict: { retriable: true, reason: 'network ECONNRESET' }, elapsedMs: 0 }],
      ['attempt', { ...base, attempt: 2, delayMs: 1000, error: undefined, verdict: undefined, elapsedMs: 1000 }],
      ['success', { ...base, attempt: 2, delayMs: undefined, error: undefined, verdict: undefined, elapsedMs: 1000 }],
    ]);
  });

  it('calls onFailure once with the final error and verdict', async () => {
    const onFailure = vi.fn();
    const err = errno('EACCES');
    await expect(retry(scripted([err], 1).fn, { onFailure })).rejects.toBe(err);
    expect(onFailure).toHaveBeenCalledOnce();
    expect(onFailure.mock.calls[0]?.[0]).toMatchObject({ attempt: 1, error: err, verdict: { retriable: false, reason: 'file-system EACCES' } });
  });

  it('writes the lines operators grep for', async () => {
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) };
    const op = scripted([errno('EBUSY', 'EBUSY: resource busy')], 'ok');
    const name = 'Generating thumbnail for segmentation 42';
    const ok = retry(op.fn, { jitter: 'none', logger, operation: name });
    await vi.runAllTimersAsync();
    await ok;
    const fail = retry(scripted([errno('EBUSY', 'x'), errno('EBUSY', 'y'), errno('EBUSY', 'z')], 1).fn, { jitter: 'none', logger, operation: name });
    const failed = expect(fail).rejects.toBeInstanceOf(RetryExhaustedError);
    await vi.runAllTimersAsync();
    await failed;
    expect(lines).toEqual([
      `info ${name} (attempt 1/3)`,
      `warn ${name} failed (attempt 1/3), retrying in 1000ms: EBUSY: resource busy`,
      `info ${name} (attempt 2/3)`,
      `info ${name} succeeded after 2 attempts`,
      `info ${name} (attempt 1/3)`,
      `warn ${name} failed (attempt 1/3), retrying in 1000ms: x`,
      `info ${name} (attempt 2/3)`,
      `warn ${name} failed (attempt 2/3), retrying in 2000ms: y`,
      `info ${name} (attempt 3/3)`,
      `error ${name} failed after 3 attempts: z`,
    ]);
  });

  it('a throwing hook changes nothing: the loop goes on, and the error goes to onHookError', async () => {
    const hookError = new Error('hook broke');
    const reported: Array<[unknown, string]> = [];
    const op = scripted([errno('ECONNRESET')], 1);
    const promise = retry(op.fn, { onRetry: () => { throw hookError; }, onHookError: (e, hook) => reported.push([e, hook]) });
    await vi.runAllTimersAsync();
    await expect(promise).resolves.toBe(1);
    expect(op.calls()).toBe(2);
    expect(reported).toEqual([[hookError, 'onRetry']]);
  });
});

describe('RetryService', () => {
  it('execute uses per-call operation and signal; wrap keeps parameters', async () => {
    const lines: string[] = [];
    const service = new RetryService({ jitter: 'none', logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) } });
    const add = service.wrap(async (a: number, b: number) => a + b, { operation: 'Adding' });
    await expect(add(2, 3)).resolves.toBe(5);
    expect(lines).toEqual(['Adding (attempt 1/3)', 'Adding succeeded after 1 attempt']);
    await expect(service.execute(() => 1, { signal: AbortSignal.abort('no') })).rejects.toBe('no');
    expect(service.maxAttempts).toBe(3);
  });

  it('validates options once, with one message shape', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ maxAttempts: 0 }, 'Expected `maxAttempts` to be an integer >= 1 or Infinity, got `0` (number)'],
      [{ maxAttempts: 2.5 }, 'Expected `maxAttempts` to be an integer >= 1 or Infinity, got `2.5` (number)'],
      [{ factor: -1 }, 'Expected `factor` to be a finite number >= 1, got `-1` (number)'],
      [{ initialDelayMs: Number.NaN }, 'Expected `initialDelayMs` to be a finite number from 0 to 9007199254740991, got `NaN` (number)'],
      [{ maxDelayMs: '10' }, 'Expected `maxDelayMs` to be a finite number from 0 to 9007199254740991, got `"10"` (string)'],
      [{ jitter: 'random' }, 'Expected `jitter` to be one of `none`, `full`, `equal`, `decorrelated`, got `"random"` (string)'],
      [{ attemptTimeoutMs: 0 }, 'Expected `attemptTimeoutMs` to be a finite number from 1 to 9007199254740991, got `0` (number)'],
      [{ retries: 5 }, 'Expected `retries` to be a known retry option (did you mean maxAttempts (attempts in all: retries + 1)?): this one does not exist, got `5` (number)'],
      [{ concurrency: 2 }, 'Expected `concurrency` to be a known retry option (did you mean nothing here: limit concurrency with ConcurrencyManager?): this one does not exist, got `2` (number)'],
      [{ classifier: 'network' }, 'Expected `classifier` to be a function, got `"network"` (string)'],
      [{ logger: {} }, 'Expected `logger` to be an object with info, warn and error methods, got `[object]` (object)'],
      [{ signal: {} }, 'Expected `signal` to be an AbortSignal, got `[object]` (object)'],
    ];
    for (const [options, message] of cases) {
      expect(() => new RetryService(options), JSON.stringify(options)).toThrow(InvalidOptionError);
      expect(() => new RetryService(options)).toThrow(message);
    }
  });

  it('invalid input throws synchronously, before any attempt', () => {
    const fn = vi.fn();
    expect(() => retry(fn, { maxAttempts: -1 })).toThrow(expect.objectContaining({ code: 'ERR_BULWARK_INVALID_OPTION', option: 'maxAttempts', value: -1 }));
    expect(() => retry('x' as never)).toThrow(InvalidOptionError);
    expect(() => retry(Promise.resolve(1) as never)).toThrow('Expected `fn` to be a function (the operation to retry)');
    expect(() => new RetryService().execute(undefined as never)).toThrow(InvalidOptionError);
    expect(() => retry(fn, { maxAttempts: Infinity })).toThrow('Expected `maxAttempts` to be finite, or bounded by `maxElapsedMs` or a `signal`');
    expect(() => retry(fn, { maxAttempts: Infinity, maxElapsedMs: 1000 }).catch(() => undefined)).not.toThrow();
    expect(fn).toHaveBeenCalledTimes(1); // only the last, valid call ran an attempt
  });
});

describe('retry: property', () => {
  type Step = 'ok' | 'transient' | 'permanent';
  it('calls = min(first success, first permanent, maxAttempts) and the result is exact', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Step>('ok', 'transient', 'permanent'), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 6 }),
        async (plan, maxAttempts) => {
          let calls = 0;
          const transient = plan.map((_, i) => errno('ECONNRESET', `t${i}`));
          const permanents = plan.map((_, i) => errno('ENOENT', `p${i}`));
          const promise = retry(
            () => {
              const i = calls++;
              const step = plan[i] ?? 'ok';
              if (step === 'ok') return Promise.resolve(`value${i}`);
              return Promise.reject(step === 'transient' ? transient[i] : permanents[i]);
            },
            { maxAttempts, jitter: 'full', initialDelayMs: 5 },
          );
          const settled = promise.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));
          await vi.runAllTimersAsync();
          const result = await settled;

          const padded = [...plan, ...Array<Step>(maxAttempts).fill('ok')];
          const stopAt = padded.findIndex((s) => s !== 'transient');
          const expectedCalls = Math.min(stopAt + 1, maxAttempts);
          expect(calls).toBe(expectedCalls);
          const last = padded[expectedCalls - 1];
          if (last === 'ok') expect(result).toEqual({ ok: true, v: `value${expectedCalls - 1}` });
          else if (last === 'permanent') expect(result).toEqual({ ok: false, e: permanents[expectedCalls - 1] });
          else {
            expect(result.ok).toBe(false);
            const error = (result as { e: RetryExhaustedError }).e;
            expect(error).toBeInstanceOf(RetryExhaustedError);
            expect(error.errors).toEqual(transient.slice(0, expectedCalls));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('retry: async hooks', () => {
  it('awaits an async hook; its rejection is reported and changes nothing (never an unhandled rejection)', async () => {
    const order: string[] = [];
    const op = scripted([errno('ECONNRESET')], 'ok');
    const ok = retry(op.fn, {
      initialDelayMs: 0,
      onRetry: async () => {
        await Promise.resolve();
        order.push('hook done');
      },
      onAttempt: ({ attempt }) => void order.push(`attempt ${attempt}`),
    });
    await vi.runAllTimersAsync();
    await expect(ok).resolves.toBe('ok');
    expect(order).toEqual(['attempt 1', 'hook done', 'attempt 2']);

    const reported: unknown[] = [];
    const failing = retry(scripted([errno('ECONNRESET')], 1).fn, { onRetry: () => Promise.reject(new Error('metrics down')), onHookError: (e) => reported.push(e) });
    await vi.runAllTimersAsync();
    await expect(failing).resolves.toBe(1);
    expect(reported).toMatchObject([{ message: 'metrics down' }]);
  });
});
