import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, InvalidOptionError, CircuitOpenError, RetryExhaustedError, isCircuitOpenError, retry, type CircuitState, type Clock } from '../../src/index.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

const down = (): Error => Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
const notFound = (): Error => Object.assign(new Error('not found'), { status: 404 });

/** A clock moved by hand: exact transitions, no timers. */
function manualClock(): Clock & { advance(ms: number): void } {
  let t = 0;
  return { now: () => t, setTimeout: () => 0, clearTimeout: () => undefined, advance: (ms) => void (t += ms) };
}

const settle = <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

describe('CircuitBreaker', () => {
  it('opens after N counted failures, fails fast with retryAfterMs, probes once after the cooldown, closes on success', async () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 3, cooldownMs: 1000, clock });
    const events: string[] = [];
    for (const type of ['open', 'halfOpen', 'close', 'reject'] as const) breaker.on(type, (e) => events.push(e.type));
    for (let i = 0; i < 3; i++) await expect(breaker.execute(() => Promise.reject(down()))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(breaker.state).toBe('open');
    let calls = 0;
    clock.advance(400);
    const rejected = await settle(breaker.execute(() => ++calls));
    expect(rejected.ok).toBe(false);
    expect((rejected as { error: CircuitOpenError }).error).toMatchObject({ code: 'ERR_BULWARK_CIRCUIT_OPEN', retryAfterMs: 600 });
    expect(calls).toBe(0);
    clock.advance(600);
    expect(breaker.state).toBe('half-open');
    // One probe at a time: a concurrent call is rejected while the probe runs.
    let finishProbe: (v: number) => void = () => undefined;
    const probe = breaker.execute(() => new Promise<number>((resolve) => (finishProbe = resolve)));
    await expect(breaker.execute(() => 2)).rejects.toMatchObject({ retryAfterMs: 0 });
    finishProbe(1);
    await expect(probe).resolves.toBe(1);
    expect(breaker.state).toBe('closed');
    expect(events).toEqual(['open', 'reject', 'halfOpen', 'reject', 'close']);
    expect(breaker.status()).toMatchObject({ state: 'closed', consecutiveFailures: 0, rejected: 2 });
  });

  it('only failures the classifier calls retriable count: a 404 keeps the circuit closed and resets the streak', async () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 2, clock: manualClock() });
    await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
    await breaker.execute(() => Promise.reject(notFound())).catch(() => undefined);
    await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
    expect(breaker.state).toBe('closed');
    await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
    expect(breaker.state).toBe('open');
  });

  it('a failed probe reopens for a growing cooldown, capped; a successful one resets it', async () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, cooldownMs: 100, maxCooldownMs: 350, cooldownFactor: 2, clock });
    const cooldowns: number[] = [];
    breaker.on('open', (e) => cooldowns.push(e.cooldownMs));
    await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
    for (let i = 0; i < 3; i++) {
      clock.advance(breaker.status().retryAfterMs);
      await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
    }
    expect(cooldowns).toEqual([100, 200, 350, 350]);
    clock.advance(350);
    await breaker.execute(() => 'ok');
    await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
    expect(cooldowns.at(-1)).toBe(100);
  });

  it('opens on a failure ratio over the sliding window, once the window holds minimumCalls', async () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 100, failureRatio: 0.5, minimumCalls: 4, windowMs: 1000, clock });
    await breaker.execute(() => 1);
    await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
    await breaker.execute(() => 1);
    expect(breaker.state).toBe('closed'); // 3 calls < minimumCalls
    await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
    expect(breaker.state).toBe('open'); // 2 of 4
    // Old calls leave the window.
    const other = new CircuitBreaker({ consecutiveFailures: 100, failureRatio: 0.5, minimumCalls: 2, windowMs: 1000, clock });
    await other.execute(() => Promise.reject(down())).catch(() => undefined);
    clock.advance(1500);
    await other.execute(() => 1);
    await other.execute(() => 1);
    expect(other.status()).toMatchObject({ state: 'closed', windowCalls: 2, windowFailures: 0 });
  });

  it('snapshot and restore keep an open circuit open across a restart, time spent down included', async () => {
    vi.useFakeTimers();
    try {
      const breaker = new CircuitBreaker({ consecutiveFailures: 1, cooldownMs: 10_000 });
      await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
      const saved = JSON.parse(JSON.stringify(breaker.snapshot())) as ReturnType<CircuitBreaker['snapshot']>;
      vi.advanceTimersByTime(4_000);
      const restored = new CircuitBreaker({ consecutiveFailures: 1, cooldownMs: 10_000, restore: saved });
      expect(restored.status()).toMatchObject({ state: 'open', retryAfterMs: 6_000 });
      expect(() => new CircuitBreaker({ restore: { state: 'weird' } as never })).toThrow('Expected `restore` to be a snapshot');
    } finally {
      vi.useRealTimers();
    }
  });

  it('composes with retry: an open circuit is waited out (retryAfterMs), never hammered', async () => {
    vi.useFakeTimers();
    try {
      const breaker = new CircuitBreaker({ consecutiveFailures: 2, cooldownMs: 5_000 });
      let calls = 0;
      const promise = retry(() => breaker.execute(() => (++calls <= 2 ? Promise.reject(down()) : 'sent')), { maxAttempts: 4, initialDelayMs: 100, jitter: 'none' });
      await vi.runAllTimersAsync();
      await expect(promise).resolves.toBe('sent');
      expect(calls).toBe(3); // the third attempt was rejected by the breaker without calling, the fourth probed
    } finally {
      vi.useRealTimers();
    }
  });

  it('an open circuit longer than maxRetryAfterMs makes retry give up at once', async () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, cooldownMs: 3_600_000 });
    await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
    const error = await retry(() => breaker.execute(() => 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect((error as RetryExhaustedError).reason).toBe('retry-after');
    expect(isCircuitOpenError((error as RetryExhaustedError).cause)).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new CircuitBreaker({ consecutiveFailures: 0 })).toThrow('Expected `consecutiveFailures` to be an integer >= 1, got `0` (number)');
    expect(() => new CircuitBreaker({ failureRatio: 1.5 })).toThrow('Expected `failureRatio`');
    expect(() => new CircuitBreaker({ cooldownMs: 100, maxCooldownMs: 50 })).toThrow('Expected `maxCooldownMs`');
  });

  it('model: random sequences of outcomes and time steps follow the reference state machine', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.oneof(fc.record({ kind: fc.constantFrom('ok' as const, 'fail' as const, 'permanent' as const) }), fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 300 }) })), { maxLength: 40 }),
        async (threshold, steps) => {
          const clock = manualClock();
          const cooldown = 200;
          const breaker = new CircuitBreaker({ consecutiveFailures: threshold, cooldownMs: cooldown, clock });
          // Reference model.
          let state: CircuitState = 'closed';
          let streak = 0;
          let openUntil = 0;
          let now = 0;
          for (const step of steps) {
            if (step.kind === 'wait') {
              clock.advance(step.ms);
              now += step.ms;
              continue;
            }
            if (state === 'open' && now >= openUntil) state = 'half-open';
            const expectedRejected = state === 'open';
            let called = false;
            const outcome = await settle(breaker.execute(() => {
              called = true;
              return step.kind === 'ok' ? 1 : Promise.reject(step.kind === 'fail' ? down() : notFound());
            }));
            expect(called).toBe(!expectedRejected);
            if (expectedRejected) {
              expect(isCircuitOpenError((outcome as { error: unknown }).error)).toBe(true);
            } else if (state === 'half-open') {
              if (step.kind === 'fail') {
                state = 'open';
                openUntil = now + cooldown;
              } else {
                state = 'closed';
                streak = 0;
              }
            } else if (step.kind === 'fail') {
              streak++;
              if (streak >= threshold) {
                state = 'open';
                openUntil = now + cooldown;
              }
            } else streak = 0;
            expect(breaker.state).toBe(state === 'open' && now >= openUntil ? 'half-open' : state);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

beforeEach(() => undefined);
afterEach(() => {
  vi.useRealTimers();
});

describe('CircuitBreaker: found by the adversarial review', () => {
  it('a probe that never settles but is abandoned by its timeout frees the probe slot (and counts)', async () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, cooldownMs: 100, clock });
    await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
    clock.advance(100);
    const { AttemptTimeoutError } = await import('../../src/index.js');
    const controller = new AbortController();
    const probe = breaker.execute(() => new Promise(() => undefined), { signal: controller.signal });
    controller.abort(new AttemptTimeoutError(50, 1));
    await expect(probe).rejects.toBeInstanceOf(AttemptTimeoutError);
    expect(breaker.state).toBe('open'); // the timeout counted: reopened
    clock.advance(100);
    await expect(breaker.execute(() => 'ok')).resolves.toBe('ok');
  });

  it("a caller's cancellation counts as nothing", async () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 2, clock: manualClock() });
    for (let i = 0; i < 3; i++) {
      const controller = new AbortController();
      const call = breaker.execute(({ signal }) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))), { signal: controller.signal });
      controller.abort(new Error('user left'));
      await call.catch(() => undefined);
    }
    expect(breaker.status()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('a probe result arriving after reset() does not reopen the circuit', async () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, cooldownMs: 100, clock });
    await breaker.execute(() => Promise.reject(down())).catch(() => undefined);
    clock.advance(100);
    let fail: (e: unknown) => void = () => undefined;
    const probe = breaker.execute(() => new Promise((_r, reject) => (fail = reject)));
    breaker.reset();
    fail(down());
    await probe.catch(() => undefined);
    expect(breaker.state).toBe('closed');
  });

  it('restore rejects non-finite numbers', () => {
    for (const bad of [{ retryAfterMs: Number.NaN }, { cooldownMs: Number.NaN }, { consecutiveFailures: Number.NaN }]) {
      expect(() => new CircuitBreaker({ restore: { state: 'open', retryAfterMs: 10, cooldownMs: 10, consecutiveFailures: 0, savedAt: 0, ...bad } })).toThrow('Expected `restore`');
    }
  });
});

describe('CircuitBreaker: options and classifiers, as strict as retry', () => {
  it("refuses unknown option names with cockatiel's and opossum's names mapped to bulwark's", () => {
    expect(() => new CircuitBreaker({ halfOpenAfter: 10_000 } as never)).toThrow(/did you mean cooldownMs/);
    expect(() => new CircuitBreaker({ errorThresholdPercentage: 50 } as never)).toThrow(/failureRatio/);
    expect(() => new CircuitBreaker({ resetTimeout: 1 } as never)).toThrow(/cooldownMs/);
    expect(() => new CircuitBreaker({ typo: 1 } as never)).toThrow(InvalidOptionError);
    expect(() => new CircuitBreaker(null as never)).toThrow(InvalidOptionError);
  });

  it('rejects a malformed unknownErrorVerdict or clock at construction (a `true` verdict used to count nothing)', () => {
    expect(() => new CircuitBreaker({ unknownErrorVerdict: true as never })).toThrow(InvalidOptionError);
    expect(() => new CircuitBreaker({ clock: { now: () => 0 } as never })).toThrow(InvalidOptionError);
  });

  it('a classifier answering something that is not a verdict is reported, and the unknown verdict applies', async () => {
    const reported: string[] = [];
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, classifier: (() => 'retry it') as never, onHookError: (_e, hook) => void reported.push(hook) });
    await expect(breaker.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(reported).toEqual(['classifier']);
    // unknownErrorVerdict defaults to counted: one failure opened the circuit.
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreaker: caller aborts, as retry treats them (found by review)', () => {
  failOnUnhandledRejection();
  const E = new Error('failed');

  it('an abort during the call wins however fn ends: thrown, rejected or returned, it is a cancel that counts nothing', async () => {
    for (const end of ['throw', 'reject', 'return'] as const) {
      const breaker = new CircuitBreaker({ consecutiveFailures: 1 });
      const controller = new AbortController();
      const reason = new Error('cancelled');
      const call = breaker.execute(() => {
        controller.abort(reason);
        if (end === 'throw') throw E;
        return end === 'reject' ? Promise.reject(E) : 42;
      }, { signal: controller.signal });
      await expect(call).rejects.toBe(reason);
      expect(breaker.status()).toMatchObject({ state: 'closed', consecutiveFailures: 0, windowCalls: 0 });
    }
  });

  it('a signal without `reason` (an AbortController polyfill): a cancel still counts nothing', async () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 1 });
    const target = new EventTarget();
    const signal = Object.assign(target, { aborted: false }) as unknown as AbortSignal;
    const call = breaker.execute(() => new Promise(() => undefined), { signal });
    (signal as { aborted: boolean }).aborted = true;
    target.dispatchEvent(new Event('abort'));
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(breaker.state).toBe('closed');
  });

  it('a revoked Proxy as the abort reason: the call still settles and nothing escapes into the signal', async () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 1 });
    const controller = new AbortController();
    const { proxy, revoke } = Proxy.revocable({}, {});
    const call = breaker.execute(() => new Promise(() => undefined), { signal: controller.signal });
    const outcome = call.then(() => 'resolved', () => 'rejected');
    revoke();
    controller.abort(proxy);
    expect(await outcome).toBe('rejected');
  });

  it('refuses a signal-like object it could not unsubscribe from', () => {
    const breaker = new CircuitBreaker();
    expect(() => breaker.execute(() => 1, { signal: { aborted: false, addEventListener() {} } as never })).toThrow(InvalidOptionError);
  });
});

describe('CircuitBreaker: second review', () => {
  failOnUnhandledRejection();

  it('a caller timeout (AbortSignal.timeout) counts as a failure: a hung dependency opens the circuit', async () => {
    vi.useRealTimers();
    const breaker = new CircuitBreaker({ consecutiveFailures: 2 });
    for (let i = 0; i < 2; i++) {
      await expect(breaker.execute(() => new Promise(() => undefined), { signal: AbortSignal.timeout(1) })).rejects.toMatchObject({ name: 'TimeoutError' });
    }
    expect(breaker.state).toBe('open');
  });

  it("a signal whose reason getter throws still ends the call and frees the probe slot", async () => {
    let now = 0;
    const clock: Clock = { now: () => now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (t) => clearTimeout(t as never) };
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, cooldownMs: 10, clock });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    now = 20; // half-open: the next call is the probe
    const target = new EventTarget();
    const signal = Object.defineProperties(target, { aborted: { value: false, writable: true }, reason: { get: () => { throw new Error('reason getter'); } } }) as unknown as AbortSignal;
    const probe = breaker.execute(() => new Promise(() => undefined), { signal });
    (signal as { aborted: boolean }).aborted = true;
    target.dispatchEvent(new Event('abort'));
    await expect(probe).rejects.toMatchObject({ name: 'AbortError' });
    await expect(breaker.execute(() => 'ok')).resolves.toBe('ok');
  });

  it('a promise whose own `then` throws is a failure that frees the probe slot, not a throw from execute', async () => {
    let now = 0;
    const clock: Clock = { now: () => now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (t) => clearTimeout(t as never) };
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, cooldownMs: 10, clock });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    now = 20;
    const evil = Promise.resolve(1);
    Object.defineProperty(evil, 'then', { value: () => { throw new Error('evil then'); } });
    await expect(breaker.execute(() => evil)).rejects.toThrow('evil then');
    now = 100;
    await expect(breaker.execute(() => 'ok')).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });
});
