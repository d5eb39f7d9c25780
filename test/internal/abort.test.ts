import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { untilAborted } from '../../src/internal/abort.js';
import { deferred } from '../helpers/deferred.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

describe('untilAborted (the one race between a promise and a signal: retry hooks, CircuitBreaker.execute, PostgresRepository)', () => {
  failOnUnhandledRejection();

  it('settles as the promise does and leaves no listener behind', async () => {
    const controller = new AbortController();
    const ok = deferred<number>();
    const wait = untilAborted(ok.promise, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    ok.resolve(7);
    await expect(wait).resolves.toBe(7);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const bad = deferred<number>();
    const failing = untilAborted(bad.promise, controller.signal);
    bad.reject(new Error('boom'));
    await expect(failing).rejects.toThrow('boom');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the reason as soon as the signal aborts, tells onAbort, and ignores the late result', async () => {
    const controller = new AbortController();
    const never = deferred<number>();
    const seen: unknown[] = [];
    const wait = untilAborted(never.promise, controller.signal, (reason) => seen.push(reason));
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(wait).rejects.toBe(reason);
    expect(seen).toEqual([reason]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    never.reject(new Error('late')); // no unhandled rejection
    await new Promise((r) => setImmediate(r));
  });

  it('an already aborted signal rejects at once, and the promise rejecting later is not unhandled', async () => {
    const reason = new Error('already');
    const pending = deferred<number>();
    const wait = untilAborted(pending.promise, AbortSignal.abort(reason));
    await expect(wait).rejects.toBe(reason);
    pending.reject(new Error('late'));
    await new Promise((r) => setImmediate(r));
  });

  it('without a signal it is the promise itself', () => {
    const p = Promise.resolve(1);
    expect(untilAborted(p, undefined)).toBe(p);
  });
});

describe('untilAborted with an onAbort that throws (found by review)', () => {
  failOnUnhandledRejection();

  it('still rejects with the reason, at once or later, and nothing escapes into the signal', async () => {
    const boom = (): void => {
      throw new Error('bookkeeping');
    };
    const reason = new Error('stop');
    await expect(untilAborted(new Promise(() => undefined), AbortSignal.abort(reason), boom)).rejects.toBe(reason);
    const controller = new AbortController();
    const later = untilAborted(new Promise(() => undefined), controller.signal, boom);
    controller.abort(reason); // an uncaught exception here would fail the run
    await expect(later).rejects.toBe(reason);
  });
});
