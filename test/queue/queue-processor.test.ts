import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/index.js';
import { MemoryJobSource, QueueProcessor, type JobSource, type QueueEvent } from '../../src/queue/index.js';
import { flush } from '../helpers/deferred.js';
import { prng, transient } from '../helpers/seeded.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

/** A clock whose time only moves when the test says, with timers that fire when it does. */
function manualClock() {
  let t = 0;
  const timers = new Set<{ at: number; cb: () => void }>();
  return {
    now: () => t,
    setTimeout: (cb: () => void, ms: number) => {
      const timer = { at: t + ms, cb };
      timers.add(timer);
      return timer;
    },
    clearTimeout: (h: unknown) => void timers.delete(h as { at: number; cb: () => void }),
    advance(ms: number) {
      t += ms;
      for (const timer of [...timers]) if (timer.at <= t) {
        timers.delete(timer);
        timer.cb();
      }
    },
  };
}

describe('QueueProcessor', () => {
  it('acks successes, schedules transient failures, dead-letters permanent ones', async () => {
    const source = new MemoryJobSource<string>();
    for (const p of ['ok', 'flaky', 'broken']) source.add(p, p);
    const events: Array<QueueEvent<string>> = [];
    let flakyCalls = 0;
    const worker = new QueueProcessor(source, async (payload) => {
      if (payload === 'broken') throw new PermanentError('bad payload');
      if (payload === 'flaky' && ++flakyCalls <= 2) throw transient(() => 0, 'flaky');
    }, { retry: { maxAttempts: 1 }, redeliveryDelayMs: () => 0 });
    for (const type of ['acked', 'retry-later', 'dead-lettered', 'released', 'settle-failed'] as const) worker.on(type, (e) => events.push(e));
    expect(await worker.runOnce()).toBe(3);
    expect(source.acked.map((j) => j.id)).toEqual(['ok']);
    expect(source.deadLettered.map((d) => [d.job.id, d.reason])).toEqual([['broken', 'PermanentError']]);
    expect(events.find((e) => e.type === 'retry-later')).toMatchObject({ job: { id: 'flaky', deliveries: 1 }, delayMs: 0 });
    await worker.runOnce();
    await worker.runOnce();
    expect(source.acked.map((j) => [j.id, j.deliveries])).toEqual([['ok', 1], ['flaky', 3]]);
    expect(source.counts()).toEqual({ waiting: 0, claimed: 0 });
    expect(worker.metrics()).toMatchObject({ acked: 2, deadLettered: 1, retriedLater: 2, successRate: 2 / 3 });
  });

  it('dead-letters after maxDeliveries and honours the redelivery backoff', async () => {
    const clock = manualClock();
    const source = new MemoryJobSource<number>({ clock });
    source.add(1, 'always-failing');
    const delays: number[] = [];
    const worker = new QueueProcessor(source, () => Promise.reject(transient(() => 0.9, 'x')), { retry: { maxAttempts: 1 }, maxDeliveries: 3, clock });
    worker.on('retry-later', (e) => delays.push(e.delayMs));
    expect(await worker.runOnce()).toBe(1);
    expect(await worker.runOnce()).toBe(0); // not due yet
    clock.advance(1000);
    expect(await worker.runOnce()).toBe(1);
    clock.advance(1999);
    expect(await worker.runOnce()).toBe(0);
    clock.advance(1);
    expect(await worker.runOnce()).toBe(1);
    expect(delays).toEqual([1000, 2000]);
    expect(source.deadLettered[0]).toMatchObject({ job: { id: 'always-failing', deliveries: 3 }, reason: 'failed on 3 deliveries (maxDeliveries 3)' });
  });

  it('random failures: every job acked or dead-lettered, none lost, none run twice at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }), async (seed, concurrency, batchSize) => {
        const random = prng(seed);
        const source = new MemoryJobSource<number>();
        for (let i = 0; i < 40; i++) source.add(i);
        const active = new Set<number>();
        let overlap = false;
        let peak = 0;
        const worker = new QueueProcessor(
          source,
          async (n) => {
            if (active.has(n)) overlap = true;
            active.add(n);
            peak = Math.max(peak, active.size);
            await flush();
            active.delete(n);
            const roll = random();
            if (roll < 0.1) throw new PermanentError(`bad ${n}`);
            if (roll < 0.4) throw transient(random, `job ${n}`);
          },
          { concurrency, batchSize, maxDeliveries: 4, retry: { maxAttempts: 2, initialDelayMs: 0 }, redeliveryDelayMs: () => 0, pollIntervalMs: 0 },
        );
        for (let cycle = 0; cycle < 200 && source.counts().waiting + source.counts().claimed > 0; cycle++) await worker.runOnce();
        expect(source.counts()).toEqual({ waiting: 0, claimed: 0 });
        const settled = [...source.acked.map((j) => Number(j.payload)), ...source.deadLettered.map((d) => Number(d.job.payload))].sort((a, b) => a - b);
        expect(settled).toEqual(Array.from({ length: 40 }, (_, i) => i)); // each exactly once
        expect(overlap).toBe(false);
        expect(peak).toBeLessThanOrEqual(concurrency);
      }),
      { numRuns: 40 },
    );
  });

  it('start() runs until stop(); a graceful stop lets in-flight jobs finish, and only as many jobs as slots were claimed', async () => {
    const source = new MemoryJobSource<number>();
    for (let i = 0; i < 30; i++) source.add(i);
    const gates: Array<() => void> = [];
    const started: number[] = [];
    const worker = new QueueProcessor(source, (n) => new Promise<void>((resolve) => {
      started.push(n);
      gates.push(resolve);
    }), { concurrency: 2, batchSize: 10, pollIntervalMs: 10 });
    const running = worker.start();
    while (started.length < 2) await flush();
    expect(worker.isRunning).toBe(true);
    expect(source.counts()).toEqual({ waiting: 28, claimed: 2 }); // pulls only what it can run
    const stopped = worker.stop();
    for (const open of gates) open(); // the two in-flight jobs finish
    await stopped;
    await running;
    expect(worker.isRunning).toBe(false);
    expect(source.acked.map((j) => j.payload)).toEqual([0, 1]);
    expect(source.counts()).toEqual({ waiting: 28, claimed: 0 });
    const next = await source.pull(1, { leaseMs: 1000 });
    expect(next[0]).toMatchObject({ payload: 2, deliveries: 1 });
  });

  it('stop({ timeoutMs }) aborts handlers past the deadline; the cut run counts its delivery', async () => {
    const source = new MemoryJobSource<number>();
    source.add(1);
    let seen: AbortSignal | undefined;
    const worker = new QueueProcessor(source, (_n, { signal }) => new Promise((_resolve, reject) => {
      seen = signal;
      signal.addEventListener('abort', () => reject(signal.reason));
    }), { retry: { maxAttempts: 1 }, redeliveryDelayMs: () => 0 });
    const running = worker.start();
    while (seen === undefined) await flush();
    await worker.stop({ timeoutMs: 0 });
    await running;
    expect(seen.aborted).toBe(true);
    expect(source.counts()).toEqual({ waiting: 1, claimed: 0 });
    expect((await source.pull(1, { leaseMs: 1000 }))[0]).toMatchObject({ deliveries: 2 });
  });

  it('a source whose ack keeps failing is retried, then reported as settle-failed (the lease brings the job back)', async () => {
    const clock = manualClock();
    const inner = new MemoryJobSource<number>({ clock });
    inner.add(1);
    let acks = 0;
    const source: JobSource<number> = { pull: (n, o) => inner.pull(n, o), ack: () => { acks++; return Promise.reject(Object.assign(new Error('source down'), { code: 'ECONNRESET' })); }, retryLater: (j, d) => inner.retryLater(j, d), deadLetter: (j, d) => inner.deadLetter(j, d) };
    const events: Array<QueueEvent<number>> = [];
    const worker = new QueueProcessor(source, () => undefined, { clock, leaseMs: 10_000 });
    worker.on('settle-failed', (e) => events.push(e));
    const once = worker.runOnce();
    for (let i = 0; i < 20 && events.length === 0; i++) {
      await flush();
      clock.advance(1000);
    }
    await once;
    expect(acks).toBe(4);
    expect(events).toMatchObject([{ type: 'settle-failed', action: 'ack', job: { id: 'job-1' } }]);
    clock.advance(10_000);
    expect((await inner.pull(1, { leaseMs: 1000 }))[0]).toMatchObject({ id: 'job-1', deliveries: 2 });
  });
});

describe('QueueProcessor options', () => {
  it('refuses an unknown option (a 0.1 name) with a hint instead of ignoring it', () => {
    const source = new MemoryJobSource<number>();
    expect(() => new QueueProcessor(source, () => undefined, { onEvent: () => undefined } as never)).toThrow(/onEvent.*did you mean on\(type, listener\)/);
    expect(() => new QueueProcessor(source, () => undefined, { maxConcurrent: 3 } as never)).toThrow(/did you mean concurrency/);
  });
});
