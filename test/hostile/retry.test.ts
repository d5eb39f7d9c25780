import { describe, expect, it, vi } from 'vitest';
import { retry, RetryService, CircuitBreaker, isRetryExhaustedError } from '../../src/index.js';
import { HOSTILE, watchProcess, settleWithin, safeDescribe } from './hostile.js';

watchProcess();

describe('retry with hostile thrown values', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    it(`retry: ${name}`, async () => {
      const value = make();
      const hooks = { onRetry: vi.fn(), onFailure: vi.fn() };
      const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
      const r = await settleWithin(retry(() => { throw value; }, { maxAttempts: 2, initialDelayMs: 0, ...hooks, logger, onHookError: () => {} }));
      expect('hung' in r).toBe(false);
      if ('hung' in r || r.ok) throw new Error('expected rejection');
      const err = r.error;
      if (err !== value) {
        // must be a RetryExhaustedError whose message is a string
        expect(isRetryExhaustedError(err), `${name}: got ${safeDescribe(err)}`).toBe(true);
        expect(typeof (err as Error).message).toBe('string');
        expect((err as Error & { cause: unknown }).cause === value).toBe(true);
      }
    });
    it(`RetryService.wrap: ${name}`, async () => {
      const value = make();
      const svc = new RetryService({ maxAttempts: 1, initialDelayMs: 0, logger: { info() {}, warn() {}, error() {} } });
      const wrapped = svc.wrap(async () => { throw value; });
      const r = await settleWithin(wrapped());
      if ('hung' in r || r.ok) throw new Error('expected rejection');
      if (r.error !== value) expect(isRetryExhaustedError(r.error), `${name}: got ${safeDescribe(r.error)}`).toBe(true);
    });
    it(`CircuitBreaker.execute: ${name}`, async () => {
      const value = make();
      const b = new CircuitBreaker({ consecutiveFailures: 1, onHookError: () => {} });
      const opened = vi.fn();
      b.on('open', () => { throw value; });
      b.on('open', opened);
      const r = await settleWithin(b.execute(async () => { throw value; }));
      if ('hung' in r || r.ok) throw new Error('expected rejection');
      expect(r.error === value, `${name}: got ${safeDescribe(r.error)}`).toBe(true);
    });
  }
});

describe('retry hooks / loggers throwing or returning hostile values', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    it(`hooks throw ${name}`, async () => {
      const reported: string[] = [];
      let calls = 0;
      const r = await settleWithin(
        retry(
          () => {
            if (++calls < 2) throw new Error('transient');
            return 'ok';
          },
          {
            maxAttempts: 3,
            initialDelayMs: 0,
            onAttempt: () => { throw make(); },
            onRetry: () => { throw make(); },
            onSuccess: () => Promise.reject(make()),
            logger: { info: () => { throw make(); }, warn: () => Promise.reject(make()), error: () => { throw make(); } },
            onHookError: (_e, hook) => void reported.push(hook),
          },
        ),
      );
      expect(r).toEqual({ ok: true, value: 'ok' });
      for (const hook of ['onAttempt', 'onRetry', 'onSuccess']) expect(reported, `${name}: ${hook} not reported`).toContain(hook);
    });
    it(`hooks RETURN ${name}`, async () => {
      let calls = 0;
      const r = await settleWithin(
        retry(
          () => {
            if (++calls < 2) throw new Error('transient');
            return 'ok';
          },
          { maxAttempts: 3, initialDelayMs: 0, onAttempt: () => make() as never, onRetry: () => make() as never, onSuccess: () => make() as never, onHookError: () => {} },
        ),
      );
      expect(r, `hooks RETURN ${name}: ${'error' in r ? safeDescribe(r.error) : ''}`).toEqual({ ok: true, value: 'ok' });
    });
    it.skipIf(name === 'longString')(`default onHookError (warning) with ${name}` /* a 10 MB warning on stderr */, async () => {
      let calls = 0;
      const r = await settleWithin(retry(() => { if (++calls < 2) throw new Error('t'); return 'ok'; }, { maxAttempts: 3, initialDelayMs: 0, onRetry: () => { throw make(); } }));
      expect(r).toEqual({ ok: true, value: 'ok' });
    });
  }
});
