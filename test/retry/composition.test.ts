// One regression test per promise of the retry loop under composition (each failed on 0.1), then a
// model-based test over random plans of attempt outcomes, hook failures, aborts and timeouts.
import fc from 'fast-check';
import pino from 'pino';
import { Writable } from 'node:stream';
import winston from 'winston';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttemptTimeoutError, RetryExhaustedError, RetryService, classifiers, defaultClassifier, retry, withFallback, type Clock, type ErrorClassifier, type Verdict } from '../../src/index.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

const transient = (message = 'reset'): Error => Object.assign(new Error(message), { code: 'ECONNRESET' });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry: hooks never change a settled outcome', () => {
  it('a throwing onSuccess returns the value and never runs the operation again (one e-mail, not three)', async () => {
    let sends = 0;
    const reported: string[] = [];
    const value = await retry(() => ++sends, { onSuccess: () => { throw new Error('metrics down'); }, onHookError: (_e, hook) => reported.push(hook) });
    expect(value).toBe(1);
    expect(sends).toBe(1);
    expect(reported).toEqual(['onSuccess']);
  });

  it('a throwing onFailure keeps the RetryExhaustedError', async () => {
    const promise = retry(() => Promise.reject(transient()), { maxAttempts: 2, initialDelayMs: 1, onFailure: () => { throw new Error('dead-letter store down'); }, onHookError: () => undefined });
    const settled = promise.catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await settled).toBeInstanceOf(RetryExhaustedError);
  });

  it('a throwing onAttempt neither stops nor repeats the attempt', async () => {
    let calls = 0;
    await expect(retry(() => ++calls, { onAttempt: () => { throw new Error('x'); }, onHookError: () => undefined })).resolves.toBe(1);
    expect(calls).toBe(1);
  });

  it('without onHookError, a hook error goes to the logger when there is one, else a process warning', async () => {
    const lines: Array<[string, unknown]> = [];
    const logger = { info: () => undefined, warn: () => undefined, error: (m: string, f: unknown) => lines.push([m, f]) };
    await retry(() => 1, { logger, onSuccess: () => { throw new Error('boom'); } });
    expect(lines).toEqual([['onSuccess threw: boom', { err: expect.objectContaining({ message: 'boom' }), hook: 'onSuccess' }]]);
    const warnings: Error[] = [];
    const listener = (w: Error): void => void warnings.push(w);
    process.on('warning', listener);
    try {
      await retry(() => 1, { onSuccess: () => { throw new Error('boom2'); } });
      await vi.waitFor(() => expect(warnings.map((w) => w.message)).toContain('boom2'));
    } finally {
      process.off('warning', listener);
    }
  });

  it('a logger that throws changes nothing', async () => {
    const broken = { info: () => { throw new Error('disk full'); }, warn: () => { throw new Error('x'); }, error: () => { throw new Error('y'); } };
    await expect(retry(() => 7, { logger: broken })).resolves.toBe(7);
  });
});

describe('retry: time', () => {
  it('maxElapsedMs counts awaited hook time: no attempt starts past the budget', async () => {
    let calls = 0;
    const promise = retry(() => { calls++; return Promise.reject(transient()); }, {
      maxAttempts: 10,
      initialDelayMs: 100,
      jitter: 'none',
      maxElapsedMs: 1000,
      onRetry: () => new Promise((resolve) => setTimeout(resolve, 2000)),
    });
    const settled = promise.catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await settled).toMatchObject({ reason: 'max-elapsed', attempts: 1 });
    expect(calls).toBe(1);
  });

  it('arms the backoff before awaiting onRetry, so advancing fake time inside the hook cannot hang', async () => {
    let calls = 0;
    const promise = retry(() => (++calls < 2 ? Promise.reject(transient()) : 'done'), {
      jitter: 'none',
      onRetry: async ({ delayMs }) => {
        await vi.advanceTimersByTimeAsync(delayMs ?? 0);
      },
    });
    await expect(promise).resolves.toBe('done');
    expect(calls).toBe(2);
  });

  it('a 0 ms delay retries without waiting for a timer', async () => {
    let calls = 0;
    const promise = retry(() => (++calls < 3 ? Promise.reject(transient()) : 'ok'), { initialDelayMs: 0 });
    // No timer advanced at all: only microtasks.
    await expect(promise).resolves.toBe('ok');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a 30-day attempt timeout does not fire after 1 ms (timers are chained past 2^31 − 1 ms)', async () => {
    const day = 86_400_000;
    let signal: AbortSignal | undefined;
    const promise = retry(({ signal: s }) => { signal = s; return new Promise(() => undefined); }, { attemptTimeoutMs: 30 * day, maxAttempts: 1 });
    const settled = promise.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(25 * day);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(5 * day);
    expect(signal?.aborted).toBe(true);
    expect(await settled).toMatchObject({ reason: 'max-attempts', cause: expect.any(AttemptTimeoutError) });
  });

  it('elapsed time is monotonic: a wall-clock jump does not end a budget', async () => {
    const promise = retry(() => Promise.reject(transient()), { maxAttempts: 3, initialDelayMs: 10, jitter: 'none', maxElapsedMs: 60_000 });
    const settled = promise.catch((e: unknown) => e);
    vi.setSystemTime(Date.now() + 3_600_000); // the wall clock jumps an hour; performance.now() does not
    await vi.runAllTimersAsync();
    expect(await settled).toMatchObject({ reason: 'max-attempts', attempts: 3 });
  });

  it('unref: true leaves no timer holding the process', async () => {
    vi.useRealTimers();
    const unrefs: number[] = [];
    const clock: Clock = { now: () => performance.now(), setTimeout: (cb, ms) => { const t = setTimeout(cb, ms); const u = t.unref.bind(t); t.unref = () => { unrefs.push(ms); return u(); }; return t; }, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    let calls = 0;
    await retry(() => (++calls < 2 ? Promise.reject(transient()) : 1), { clock, unref: true, initialDelayMs: 5, jitter: 'none', attemptTimeoutMs: 1000 });
    expect(unrefs).toEqual([1000, 5, 1000]);
  });
});

describe('retry: attempts own their signal', () => {
  it('a timed-out attempt is aborted and its late result ignored, even after its replacement succeeded', async () => {
    const writes: string[] = [];
    const signals: AbortSignal[] = [];
    const promise = retry(
      async ({ attempt, signal }) => {
        signals.push(signal);
        await new Promise((resolve) => setTimeout(resolve, attempt === 1 ? 500 : 10));
        if (signal.aborted) return 'late'; // a well-behaved operation checks before its side effect
        writes.push(`attempt ${attempt}`);
        return `attempt ${attempt}`;
      },
      { attemptTimeoutMs: 100, initialDelayMs: 1, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    await expect(promise).resolves.toBe('attempt 2');
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(AttemptTimeoutError);
    expect(writes).toEqual(['attempt 2']);
  });

  it('leaves no listener on the caller signal after timed-out attempts (0.1 leaked one per attempt)', async () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<AbortSignal['addEventListener']>) => { added++; add(...args); }) as AbortSignal['addEventListener'];
    controller.signal.removeEventListener = ((...args: Parameters<AbortSignal['removeEventListener']>) => { removed++; remove(...args); }) as AbortSignal['removeEventListener'];
    for (let i = 0; i < 20; i++) {
      const p = retry(() => new Promise(() => undefined), { attemptTimeoutMs: 5, maxAttempts: 3, initialDelayMs: 1, signal: controller.signal }).catch(() => undefined);
      await vi.runAllTimersAsync();
      await p;
    }
    expect(added).toBeGreaterThan(0);
    expect(added).toBe(removed);
  });

  it('an abort during onAttempt stops the attempt from starting', async () => {
    const controller = new AbortController();
    let calls = 0;
    const promise = retry(() => ++calls, { signal: controller.signal, onAttempt: () => controller.abort('stop') });
    await expect(promise).rejects.toBe('stop');
    expect(calls).toBe(0);
  });
});

describe('retry: classification', () => {
  it('AttemptTimeoutError is retriable whatever a custom classifier says, unless onAttemptTimeout is classify', async () => {
    const strict = withFallback(classifiers.http, { retriable: false, reason: 'unknown' });
    let calls = 0;
    const hang = (): Promise<never> => { calls++; return new Promise(() => undefined); };
    const a = retry(hang, { classifier: strict, attemptTimeoutMs: 10, maxAttempts: 3, initialDelayMs: 1 }).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await a).toMatchObject({ reason: 'max-attempts', attempts: 3 });
    expect(calls).toBe(3);
    const b = retry(hang, { classifier: strict, attemptTimeoutMs: 10, maxAttempts: 3, onAttemptTimeout: 'classify' }).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await b).toBeInstanceOf(AttemptTimeoutError);
    expect(calls).toBe(4);
  });

  it('every built-in classifier walks cause chains and AggregateErrors', () => {
    const http503 = Object.assign(new Error('upstream'), { status: 503 });
    expect(defaultClassifier(new Error('wrapped', { cause: new Error('again', { cause: http503 }) }))?.reason).toBe('http 503');
    expect(classifiers.database(new Error('w', { cause: Object.assign(new Error('deadlock'), { code: '40P01' }) }))?.retriable).toBe(true);
    expect(classifiers.fileSystem(new AggregateError([new Error('x'), Object.assign(new Error('gone'), { code: 'ENOENT' })]))?.reason).toBe('file-system ENOENT');
    const cyclic: { cause?: unknown } & Error = new Error('loop');
    cyclic.cause = cyclic;
    expect(defaultClassifier(cyclic)).toBeUndefined();
  });

  it('programming errors are permanent; fetch failures are not; messages stay unambiguous', () => {
    expect(defaultClassifier(new TypeError("Cannot read properties of undefined (reading 'x')"))).toEqual({ retriable: false, reason: 'programming TypeError' });
    expect(defaultClassifier(new ReferenceError('x is not defined'))?.retriable).toBe(false);
    expect(defaultClassifier(new TypeError('fetch failed', { cause: Object.assign(new Error('c'), { code: 'ECONNREFUSED' }) }))?.reason).toBe('network ECONNREFUSED');
    expect(defaultClassifier(new TypeError('fetch failed'))?.retriable).toBe(true);
    expect(defaultClassifier(new Error('Upstream response truncated'))).toBeUndefined();
  });

  it('a TypeError from the operation is not retried', async () => {
    let calls = 0;
    await expect(retry(() => { calls++; throw new TypeError('x.map is not a function'); })).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
  });
});

describe('RetryService: wrap and copies', () => {
  it('wrap keeps this', async () => {
    const service = new RetryService();
    const mailer = { from: 'a@b', send: service.wrap(function (this: { from: string }, to: string) { return `${this.from} -> ${to}`; }) };
    await expect(mailer.send('c@d')).resolves.toBe('a@b -> c@d');
  });
});

describe('retry: structured logs with the real loggers', () => {
  const failTwice = (): (() => Promise<string>) => {
    let calls = 0;
    return () => (++calls < 2 ? Promise.reject(transient('socket reset')) : Promise.resolve('ok'));
  };

  it('pino: fields first, the error serialised with its stack under err', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({ write(chunk: Buffer, _e, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
    const logger = pino({ level: 'info' }, stream);
    const promise = retry(failTwice(), { logger, operation: 'Sending email', initialDelayMs: 10, jitter: 'none' });
    await vi.runAllTimersAsync();
    await promise;
    const retryLine = lines.find((l) => l['level'] === 40);
    expect(retryLine).toMatchObject({ msg: 'Sending email failed (attempt 1/3), retrying in 10ms: socket reset', operation: 'Sending email', attempt: 1, delayMs: 10, verdict: 'network ECONNRESET', retriable: true });
    expect((retryLine?.['err'] as { stack?: string }).stack).toContain('socket reset');
  });

  it('winston: message first, fields as metadata', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({ write(chunk: Buffer, _e, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
    const logger = winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
    const promise = retry(failTwice(), { logger, operation: 'Sending email', initialDelayMs: 10, jitter: 'none' });
    await vi.runAllTimersAsync();
    await promise;
    await vi.waitFor(() => expect(lines.some((l) => l['level'] === 'warn')).toBe(true));
    expect(lines.find((l) => l['level'] === 'warn')).toMatchObject({ message: 'Sending email failed (attempt 1/3), retrying in 10ms: socket reset', attempt: 1, delayMs: 10, verdict: 'network ECONNRESET' });
  });

  it('console: message then fields', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const promise = retry(failTwice(), { logger: console, initialDelayMs: 10, jitter: 'none' });
      await vi.runAllTimersAsync();
      await promise;
      expect(warn).toHaveBeenCalledWith('Operation failed (attempt 1/3), retrying in 10ms: socket reset', expect.objectContaining({ attempt: 1, delayMs: 10, err: expect.any(Error) }));
    } finally {
      warn.mockRestore();
    }
  });
});

describe('retry: model', () => {
  type Outcome = 'value' | 'retriable' | 'permanent' | 'non-error' | 'hang';
  type HookFault = 'none' | 'throw' | 'reject';
  const verdictFor = (e: unknown): Verdict | undefined =>
    typeof e === 'object' && e !== null && 'kind' in e ? ((e as { kind: string }).kind === 'permanent' ? { retriable: false, reason: 'p' } : { retriable: true, reason: 'r' }) : undefined;

  it('runs at most maxAttempts, never after a success, ignores late results, settles as the rules say, leaves no timer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Outcome>('value', 'retriable', 'permanent', 'non-error', 'hang'), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.record({ onAttempt: fc.constantFrom<HookFault>('none', 'throw', 'reject'), onRetry: fc.constantFrom<HookFault>('none', 'throw', 'reject'), onSuccess: fc.constantFrom<HookFault>('none', 'throw', 'reject'), onFailure: fc.constantFrom<HookFault>('none', 'throw', 'reject') }),
        fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
        async (plan, maxAttempts, hooks, abortAt) => {
          const controller = new AbortController();
          let calls = 0;
          let successes = 0;
          const fault = (kind: HookFault) => (): unknown => (kind === 'throw' ? (() => { throw new Error('hook'); })() : kind === 'reject' ? Promise.reject(new Error('hook')) : undefined);
          const promise = retry(
            async ({ signal }) => {
              const step = plan[calls++] ?? 'value';
              if (step === 'hang') return new Promise<string>(() => undefined);
              await Promise.resolve();
              if (signal.aborted) throw new Error('ran after abort');
              if (step === 'value') { successes++; return `v${calls}`; }
              if (step === 'non-error') throw 'a string';
              throw Object.assign(new Error(step), { kind: step });
            },
            {
              maxAttempts, initialDelayMs: 10, jitter: 'none', attemptTimeoutMs: 50, signal: controller.signal,
              classifier: verdictFor, onHookError: () => undefined,
              onAttempt: fault(hooks.onAttempt), onRetry: fault(hooks.onRetry), onSuccess: fault(hooks.onSuccess), onFailure: fault(hooks.onFailure),
            },
          );
          const settled = promise.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));
          if (abortAt !== undefined) setTimeout(() => controller.abort('aborted'), abortAt);
          await vi.runAllTimersAsync();
          const result = await settled;
          expect(calls).toBeLessThanOrEqual(maxAttempts);
          expect(successes).toBeLessThanOrEqual(1);
          // Reference model: walk the plan.
          let expected: { ok: boolean; v?: string; reason?: string } | undefined;
          let t = 0;
          for (let i = 0; i < maxAttempts; i++) {
            const step = plan[i] ?? 'value';
            const duration = step === 'hang' ? 50 : 0;
            if (abortAt !== undefined && t + duration >= abortAt && (step === 'hang' || t >= abortAt)) { expected = { ok: false, reason: 'abort' }; break; }
            t += duration;
            if (step === 'value') { expected = { ok: true, v: `v${i + 1}` }; break; }
            if (step === 'permanent') { expected = { ok: false, reason: 'permanent' }; break; }
            if (i === maxAttempts - 1) { expected = { ok: false, reason: 'exhausted' }; break; }
            t += 10;
          }
          if (expected?.reason === 'abort' || (abortAt !== undefined && !result.ok && result.e === 'aborted')) {
            // An abort may land between steps of the model: then the promise rejects with the reason.
            if (!result.ok) expect(result.e === 'aborted' || result.e instanceof RetryExhaustedError || (result.e as { kind?: string }).kind === 'permanent').toBe(true);
          } else if (expected?.ok === true) {
            expect(result).toEqual({ ok: true, v: expected.v });
          } else if (expected?.reason === 'permanent') {
            expect(result.ok).toBe(false);
            expect((result as { e: { kind?: string } }).e.kind).toBe('permanent');
          } else {
            expect((result as { e: unknown }).e).toBeInstanceOf(RetryExhaustedError);
          }
          expect(vi.getTimerCount()).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('retry: found by the adversarial review', () => {
  it('a throwing retryOnResult is final: the operation that returned never runs again', async () => {
    let runs = 0;
    await expect(retry(() => ++runs, { initialDelayMs: 1, retryOnResult: () => { throw new Error('boom'); } })).rejects.toThrow('boom');
    expect(runs).toBe(1);
  });

  it('a slow onAttempt cannot start an attempt past maxElapsedMs', async () => {
    let runs = 0;
    const promise = retry(() => { runs++; throw transient(); }, {
      maxAttempts: 5, initialDelayMs: 10, jitter: 'none', maxElapsedMs: 100,
      onAttempt: async ({ attempt }) => { if (attempt === 2) await new Promise((r) => setTimeout(r, 200)); },
    });
    const settled = promise.catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await settled).toMatchObject({ reason: 'max-elapsed', attempts: 1 });
    expect(runs).toBe(1);
  });

  it('no attempt starts after an abort that lands with the backoff timer, hooks or not', async () => {
    const pending: Array<() => void> = [];
    const clock: Clock = { now: () => 0, setTimeout: (cb) => { pending.push(cb); return 1; }, clearTimeout: () => undefined };
    const controller = new AbortController();
    let runs = 0;
    const promise = retry(() => { runs++; throw transient(); }, { clock, signal: controller.signal, initialDelayMs: 100 });
    const settled = promise.catch((e: unknown) => e);
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    pending.shift()?.();
    controller.abort('stop');
    expect(await settled).toBe('stop');
    expect(runs).toBe(1);
  });

  it('an abort ends the loop while a hook hangs', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort('aborted'), 50);
    const promise = retry(() => Promise.reject(transient()), { signal: controller.signal, initialDelayMs: 10, onRetry: () => new Promise(() => undefined) });
    const settled = promise.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(60);
    expect(await settled).toBe('aborted');
  });

  it('an async onHookError or logger that rejects never becomes an unhandled rejection', async () => {
    await retry(() => 'ok', { onSuccess: () => { throw new Error('s'); }, onHookError: async () => { throw new Error('x'); } });
    await retry(() => 'ok', { logger: { info: async () => { throw new Error('y'); }, warn: () => undefined, error: () => undefined } as never });
    await vi.advanceTimersByTimeAsync(10); // failOnUnhandledRejection() fails the file if one escaped
  });

  it('validates clock and per-call options synchronously', () => {
    expect(() => retry(() => 1, { clock: 5 as never })).toThrow('Expected `clock` to be a Clock');
    const service = new RetryService();
    expect(() => service.execute(() => 1, { signl: new AbortController().signal } as never)).toThrow('Expected `signl` to be a known call option');
    expect(() => service.execute(() => 1, { operation: 42 } as never)).toThrow('Expected `operation` to be a string');
    expect(() => service.execute(() => 1, { retryOnResult: 'yes' } as never)).toThrow('Expected `retryOnResult` to be a function');
  });

  it('a classifier that throws or answers garbage is reported; the fallback verdict applies and the error is kept', async () => {
    const reported: string[] = [];
    const original = new Error('x');
    const promise = retry(() => { throw original; }, { maxAttempts: 2, initialDelayMs: 1, classifier: () => { throw new Error('classifier broke'); }, onHookError: (_e, hook) => reported.push(hook) });
    const settled = promise.catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await settled).toMatchObject({ reason: 'max-attempts', errors: [original, original] });
    expect(reported).toEqual(['classifier', 'classifier']);
    const garbage = retry(() => { throw original; }, { maxAttempts: 1, classifier: () => 'yes' as never, onHookError: () => undefined });
    await expect(garbage).rejects.toMatchObject({ reason: 'max-attempts' });
  });

  it('a NaN random source or delayMs falls back to the plain backoff', async () => {
    const delays: number[] = [];
    let runs = 0;
    const promise = retry(() => (++runs < 3 ? Promise.reject(Object.assign(transient(), runs === 2 ? {} : {})) : 'ok'), { random: () => Number.NaN, initialDelayMs: 100, onRetry: (e) => delays.push(e.delayMs ?? -1) });
    await vi.runAllTimersAsync();
    await expect(promise).resolves.toBe('ok');
    expect(delays).toEqual([100, 200]);
    const nanVerdict = retry(() => (++runs < 5 ? Promise.reject(new Error('n')) : 'ok'), { classifier: () => ({ retriable: true, reason: 'r', delayMs: Number.NaN }), initialDelayMs: 7, jitter: 'none', onRetry: (e) => delays.push(e.delayMs ?? -1) });
    await vi.runAllTimersAsync();
    await expect(nanVerdict).resolves.toBe('ok');
    expect(delays.slice(2)).toEqual([7]);
  });
});

describe('retry(fn, options): options validated once per object, never stale', () => {
  it('a reused options object is not re-validated, but a mutated one is', async () => {
    const options: { maxAttempts: number; initialDelayMs: number; signal?: AbortSignal } = { maxAttempts: 1, initialDelayMs: 1 };
    let calls = 0;
    const fail = (): Promise<never> => { calls++; return Promise.reject(transient()); };
    await expect(retry(fail, options)).rejects.toMatchObject({ attempts: 1 });
    options.maxAttempts = 2;
    const second = retry(fail, options).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await second).toMatchObject({ attempts: 2 });
    options.maxAttempts = 0;
    expect(() => retry(fail, options)).toThrow('Expected `maxAttempts` to be an integer >= 1');
    options.maxAttempts = 1;
    options.signal = AbortSignal.abort('stop');
    await expect(retry(fail, options)).rejects.toBe('stop');
    expect(calls).toBe(3);
  });
});

describe('a classifier answer is read once, safely (found by review)', () => {  const op = Object.assign(new Error('op failed'), { code: 'EX' });

  it('a verdict whose `reason` or `delayMs` getter throws is that classifier\'s error: reported, and the unknown verdict applies', async () => {
    const reported: unknown[] = [];
    const badReason = (): Verdict => ({ retriable: false, get reason(): string { throw new Error('reason getter'); } });
    const badDelay = (): Verdict => ({ retriable: true, reason: 'r', get delayMs(): number { throw new Error('delayMs getter'); } });
    const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const unknownErrorVerdict: Verdict = { retriable: false, reason: 'unknown' };
    await expect(retry(() => Promise.reject(op), { classifier: badReason, logger, unknownErrorVerdict, onHookError: (e) => void reported.push(e) })).rejects.toBe(op);
    await expect(retry(() => Promise.reject(op), { classifier: badDelay, unknownErrorVerdict, onHookError: (e) => void reported.push(e) })).rejects.toBe(op);
    expect(reported.map((e) => (e as Error).message)).toEqual(['reason getter', 'delayMs getter']);
  });

  it('an async classifier decides nothing, and its rejection is reported, never unhandled', async () => {
    const reported: string[] = [];
    const classifier = (async () => {
      throw new Error('async classifier');
    }) as unknown as ErrorClassifier;
    await expect(retry(() => Promise.reject(op), { classifier, maxAttempts: 1, onHookError: (e) => void reported.push((e as Error).message) })).rejects.toBeInstanceOf(RetryExhaustedError);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(reported).toEqual(['classifier returned a promise: classifiers are synchronous', 'async classifier']);
  });
});

describe('second review: what a verdict and a failure may be', () => {
  it("a classifier's verdict reaches the events and the final error with its extra fields", async () => {
    const verdict = { retriable: false, reason: 'quota', quota: 'daily' } as Verdict;
    const error = await retry(() => Promise.reject(new Error('x')), { classifier: () => verdict }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const exhausted = await retry(() => Promise.reject(new Error('x')), { maxAttempts: 1, classifier: () => ({ retriable: true, reason: 'r', note: 1 }) as Verdict }).catch((e: unknown) => e);
    expect((exhausted as RetryExhaustedError).verdict).toEqual({ retriable: true, reason: 'r', note: 1 });
  });

  it('a revoked Proxy thrown by the operation is retried and reported like any unknown failure, never a TypeError from the loop', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const failed = await retry(() => Promise.reject(proxy), { maxAttempts: 1 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RetryExhaustedError);
    expect((failed as RetryExhaustedError).message).toContain('unreadable error');
    expect((failed as RetryExhaustedError).errors[0] === proxy).toBe(true);
  });
});
