// bulwark/queue under faults: one regression per promise (each reproduced against 0.1 from outside),
// then a property test over random fault plans.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryJobSource, QueueProcessor, type Job, type JobSource } from '../../src/queue/index.js';
import { prng } from '../helpers/seeded.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const busy = (): Error => Object.assign(new Error('busy'), { code: 'EBUSY' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('QueueProcessor in production', () => {
  it('at most one live run per job: after an attempt timeout, the next run waits for the old one (0.1 ran one job three times at once)', async () => {
    const source = new MemoryJobSource<string>();
    source.add('slow');
    let live = 0;
    let peak = 0;
    let runs = 0;
    const worker = new QueueProcessor(source, async () => {
      runs++;
      live++;
      peak = Math.max(peak, live);
      await sleep(runs === 1 ? 300 : 10); // the first run ignores its signal
      live--;
    }, { attemptTimeoutMs: 100, timeoutGraceMs: 1000, retry: { maxAttempts: 3, initialDelayMs: 1, jitter: 'none' } });
    const once = worker.runOnce();
    await vi.advanceTimersByTimeAsync(2000);
    await once;
    expect(peak).toBe(1);
    expect(runs).toBe(2);
    expect(source.acked).toHaveLength(1);
  });

  it('leases: a handler longer than the lease keeps its job (extended), and an expired lease redelivers it, counted', async () => {
    const source = new MemoryJobSource<string>();
    source.add('long');
    const worker = new QueueProcessor(source, () => sleep(5_000), { leaseMs: 1_000 });
    const once = worker.runOnce();
    await vi.advanceTimersByTimeAsync(2_500);
    expect(await source.pull(1, { leaseMs: 1000 })).toEqual([]); // still leased: extended every ~333 ms
    await vi.advanceTimersByTimeAsync(3_000);
    await once;
    expect(source.acked.map((j) => j.deliveries)).toEqual([1]);
    // A worker that died (no extension): the job comes back after the lease, as delivery 2.
    const other = new MemoryJobSource<string>();
    other.add('orphan');
    await other.pull(1, { leaseMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await other.pull(1, { leaseMs: 1_000 })).toMatchObject([{ id: 'job-1', deliveries: 2 }]);
  });

  it('a lost lease aborts the run and leaves the job to its new owner', async () => {
    const inner = new MemoryJobSource<string>();
    inner.add('x');
    const source: JobSource<string> = {
      pull: (n, o) => inner.pull(n, o),
      extend: async (job) => {
        const { LeaseLostError } = await import('../../src/queue/index.js');
        throw new LeaseLostError(job.id, 'expired');
      },
      ack: (j) => inner.ack(j),
      retryLater: (j, d) => inner.retryLater(j, d),
      deadLetter: (j, d) => inner.deadLetter(j, d),
    };
    let aborted: unknown;
    const lost: string[] = [];
    const worker = new QueueProcessor(source, (_p, { signal }) => new Promise((_r, reject) => signal.addEventListener('abort', () => { aborted = signal.reason; reject(signal.reason); })), { leaseMs: 300, retry: { maxAttempts: 1 } });
    worker.on('lease-lost', (e) => lost.push(e.job.id));
    const once = worker.runOnce();
    await vi.advanceTimersByTimeAsync(500);
    await once;
    expect((aborted as { code?: string }).code).toBe('ERR_BULWARK_LEASE_LOST');
    expect(lost).toEqual(['job-1']);
    expect(inner.acked).toEqual([]);
    expect(inner.deadLettered).toEqual([]);
  });

  it('the worker never dies of a failing pull, and start() never rejects even when not awaited', async () => {
    const inner = new MemoryJobSource<number>();
    for (let i = 0; i < 3; i++) inner.add(i);
    let pulls = 0;
    const source: JobSource<number> = { ...bind(inner), pull: (n, o) => (++pulls <= 3 ? Promise.reject(Object.assign(new Error('db down'), { code: 'ECONNREFUSED' })) : inner.pull(n, o)) };
    const errors: number[] = [];
    const worker = new QueueProcessor(source, () => undefined, { pollIntervalMs: 100 });
    worker.on('source-error', (e) => errors.push(e.delayMs));
    void worker.start(); // not awaited: must not produce an unhandled rejection
    await vi.advanceTimersByTimeAsync(10_000);
    expect(errors).toEqual([500, 1000, 2000]);
    expect(inner.acked).toHaveLength(3);
    await worker.stop();
  });

  it('acknowledges each job as it finishes: a fast job is acked at its own pace, not the slow one', async () => {
    const source = new MemoryJobSource<number>();
    source.add(10_000, 'slow');
    source.add(10, 'fast');
    const ackedAt = new Map<string, number>();
    const worker = new QueueProcessor(source, (ms) => sleep(ms), { concurrency: 2 });
    worker.on('acked', (e) => ackedAt.set(e.job.id, Date.now()));
    const t0 = Date.now();
    void worker.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(ackedAt.get('fast')).toBe(t0 + 10);
    expect(ackedAt.has('slow')).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    await worker.stop();
    expect(ackedAt.get('slow')).toBe(t0 + 10_000);
  });

  it('a poison job that hangs through every graceful stop still reaches the dead-letter queue after maxDeliveries', async () => {
    const source = new MemoryJobSource<string>();
    source.add('poison');
    for (let delivery = 1; delivery <= 3; delivery++) {
      const worker = new QueueProcessor(source, () => new Promise(() => undefined), { maxDeliveries: 3, timeoutGraceMs: 100, redeliveryDelayMs: () => 0, retry: { maxAttempts: 1 } });
      void worker.start();
      await vi.advanceTimersByTimeAsync(10);
      const stopped = worker.stop({ timeoutMs: 1_000 });
      await vi.advanceTimersByTimeAsync(1_200);
      await stopped;
    }
    expect(source.deadLettered).toMatchObject([{ job: { id: 'job-1', deliveries: 3 }, reason: 'failed on 3 deliveries (maxDeliveries 3)' }]);
  });

  it('Retry-After and scheduled delays are capped by maxDelayMs', async () => {
    const source = new MemoryJobSource<string>();
    source.add('x');
    const delays: number[] = [];
    const worker = new QueueProcessor(source, () => Promise.reject(Object.assign(new Error('slow down'), { status: 503, headers: { 'retry-after': '100000000000' } })), { retry: { maxAttempts: 1 }, maxDelayMs: 60_000 });
    worker.on('retry-later', (e) => delays.push(e.delayMs));
    await worker.runOnce();
    expect(delays).toEqual([60_000]);
  });

  it('rate: at most `limit` job starts in any interval', async () => {
    const source = new MemoryJobSource<number>();
    for (let i = 0; i < 20; i++) source.add(i);
    const starts: number[] = [];
    const worker = new QueueProcessor(source, () => void starts.push(Date.now()), { concurrency: 5, rate: { limit: 3, intervalMs: 1000 }, pollIntervalMs: 10 });
    void worker.start();
    await vi.advanceTimersByTimeAsync(7_000);
    await worker.stop();
    expect(starts).toHaveLength(20);
    for (let i = 3; i < starts.length; i++) expect((starts[i] as number) - (starts[i - 3] as number)).toBeGreaterThanOrEqual(1000);
  });

  it('property: random fault plans — every job ends acked or dead-lettered exactly once, runs of one job never overlap, never more than `concurrency` handlers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 1, max: 4 }), async (seed, concurrency) => {
        const random = prng(seed);
        const inner = new MemoryJobSource<number>();
        const count = 12;
        for (let i = 0; i < count; i++) inner.add(i);
        const flaky = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> => (random() < 0.15 ? Promise.reject(Object.assign(new Error('source hiccup'), { code: 'ECONNRESET' })) : fn(...args));
        const source: JobSource<number> = {
          pull: flaky((n: number, o: { leaseMs: number }) => inner.pull(n, o)),
          extend: (j, ms) => inner.extend(j, ms),
          ack: flaky((j: Job<number>) => inner.ack(j)),
          retryLater: flaky((j: Job<number>, d: { delayMs: number; error: unknown }) => inner.retryLater(j, d)),
          deadLetter: flaky((j: Job<number>, d: { error: unknown; reason: string }) => inner.deadLetter(j, d)),
          release: (jobs) => inner.release(jobs),
        };
        const live = new Set<number>();
        let overlap = false;
        let peak = 0;
        const handler = async (n: number): Promise<void> => {
          if (live.has(n)) overlap = true;
          live.add(n);
          peak = Math.max(peak, live.size);
          const roll = random();
          try {
            await sleep(Math.floor(random() * 50));
            if (roll < 0.15) await sleep(2_000); // a hang past the attempt timeout (within the grace: a handler
            // that ignores its signal longer than timeoutGraceMs may overlap, as documented)
            if (roll < 0.3) throw busy();
            if (roll < 0.35) throw Object.assign(new Error('bad'), { code: 'ENOENT' });
          } finally {
            live.delete(n);
          }
        };
        for (let round = 0; round < 12 && inner.counts().waiting + inner.counts().claimed > 0; round++) {
          const worker = new QueueProcessor(source, handler, { concurrency, leaseMs: 3_000, attemptTimeoutMs: 500, timeoutGraceMs: 2_000, maxDeliveries: 3, redeliveryDelayMs: () => 100, pollIntervalMs: 50, retry: { maxAttempts: 2, initialDelayMs: 10 } });
          void worker.start();
          await vi.advanceTimersByTimeAsync(random() < 0.3 ? 1_000 : 8_000);
          const stopped = worker.stop({ timeoutMs: random() < 0.5 ? 0 : 500 });
          await vi.advanceTimersByTimeAsync(5_000);
          await stopped;
          await vi.advanceTimersByTimeAsync(3_500); // leases of unsettled jobs expire
        }
        const ended = [...inner.acked.map((j) => j.payload), ...inner.deadLettered.map((d) => d.job.payload)].sort((a, b) => a - b);
        expect(ended).toEqual(Array.from({ length: count }, (_, i) => i));
        expect(overlap).toBe(false);
        expect(peak).toBeLessThanOrEqual(concurrency);
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

function bind<P>(source: MemoryJobSource<P>): JobSource<P> {
  return {
    pull: (n, o) => source.pull(n, o),
    extend: (j, ms) => source.extend(j, ms),
    ack: (j) => source.ack(j),
    retryLater: (j, d) => source.retryLater(j, d),
    deadLetter: (j, d) => source.deadLetter(j, d),
    release: (jobs) => source.release(jobs),
  };
}

describe('found by the adversarial review', () => {
  it('an extend that throws synchronously or returns nothing never crashes the worker', async () => {
    for (const extend of [() => { throw new Error('x'); }, () => undefined]) {
      const inner = new MemoryJobSource<number>();
      inner.add(1);
      const source: JobSource<number> = { ...bind(inner), extend: extend as never };
      const worker = new QueueProcessor(source, () => sleep(250), { leaseMs: 1_000 });
      const once = worker.runOnce();
      await vi.advanceTimersByTimeAsync(600);
      await once;
      expect(inner.acked).toHaveLength(1);
    }
  });

  it('a redeliveryDelayMs that throws or returns NaN falls back to the default backoff and is reported', async () => {
    for (const redeliveryDelayMs of [() => { throw new Error('bad fn'); }, () => Number.NaN]) {
      const source = new MemoryJobSource<number>();
      source.add(1);
      const reported: string[] = [];
      const delays: number[] = [];
      const worker = new QueueProcessor(source, () => Promise.reject(busy()), { retry: { maxAttempts: 1 }, redeliveryDelayMs, onHookError: (_e, hook) => reported.push(hook) });
      worker.on('retry-later', (e) => delays.push(e.delayMs));
      await worker.runOnce();
      expect(delays).toEqual([1000]);
      expect(reported).toEqual(['redeliveryDelayMs']);
    }
  });

  it('start() resolves only once every claimed job is settled', async () => {
    const source = new MemoryJobSource<number>();
    source.add(1);
    const controller = new AbortController();
    const worker = new QueueProcessor(source, () => sleep(200));
    const running = worker.start({ signal: controller.signal });
    await vi.advanceTimersByTimeAsync(50);
    controller.abort();
    let done = false;
    void running.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toBe(true);
    expect(source.acked).toHaveLength(1);
  });

  it('a source returning more jobs than asked, or one job twice, never exceeds concurrency', async () => {
    const inner = new MemoryJobSource<number>();
    for (let i = 0; i < 6; i++) inner.add(i);
    const source: JobSource<number> = { ...bind(inner), pull: async (_n, o) => { const jobs = await inner.pull(6, o); return [...jobs, ...jobs.slice(0, 1)]; } };
    let live = 0;
    let peak = 0;
    const worker = new QueueProcessor(source, async () => {
      live++;
      peak = Math.max(peak, live);
      await sleep(10);
      live--;
    }, { concurrency: 2, pollIntervalMs: 5 });
    void worker.start();
    await vi.advanceTimersByTimeAsync(500);
    await worker.stop();
    expect(peak).toBe(2);
    expect(inner.acked).toHaveLength(6);
  });

  it('runOnce() alongside start() still respects concurrency', async () => {
    const source = new MemoryJobSource<number>();
    for (let i = 0; i < 4; i++) source.add(i);
    let live = 0;
    let peak = 0;
    const worker = new QueueProcessor(source, async () => {
      live++;
      peak = Math.max(peak, live);
      await sleep(20);
      live--;
    }, { concurrency: 1, pollIntervalMs: 5 });
    void worker.start();
    await vi.advanceTimersByTimeAsync(1);
    const once = worker.runOnce();
    await vi.advanceTimersByTimeAsync(200);
    await once;
    await worker.stop();
    expect(peak).toBe(1);
  });

  it('an ack that hangs is abandoned after sourceTimeoutMs: stop() ends, the lease lapses and the job comes back', async () => {
    const inner = new MemoryJobSource<number>();
    inner.add(1);
    const failed: string[] = [];
    const source: JobSource<number> = { ...bind(inner), ack: () => new Promise(() => undefined) };
    const worker = new QueueProcessor(source, () => undefined, { leaseMs: 150, sourceTimeoutMs: 100, pollIntervalMs: 1_000_000 });
    worker.on('settle-failed', (e) => failed.push(e.action));
    void worker.start();
    await vi.advanceTimersByTimeAsync(10);
    const stopped = worker.stop({ timeoutMs: 50 });
    await vi.advanceTimersByTimeAsync(5_000);
    await stopped;
    expect(failed).toEqual(['ack']);
    await vi.advanceTimersByTimeAsync(200);
    expect(await inner.pull(1, { leaseMs: 100 })).toMatchObject([{ deliveries: 2 }]);
  });

  it('stop() waits for the jobs it releases, and jobs waiting for their rate slot are released, not started', async () => {
    const source = new MemoryJobSource<number>();
    for (let i = 0; i < 3; i++) source.add(i);
    const started: number[] = [];
    const worker = new QueueProcessor(source, (n) => void started.push(n), { concurrency: 3, rate: { limit: 1, intervalMs: 200 } });
    void worker.start();
    await vi.advanceTimersByTimeAsync(10);
    await worker.stop();
    expect(started).toEqual([0]);
    expect(source.counts()).toEqual({ waiting: 2, claimed: 0 });
    expect(worker.metrics().released).toBe(2);
  });
});

describe('MemoryJobSource: idempotent settling', () => {
  it('a repeated ack or release for the same lease is a no-op; release is all or none', async () => {
    const source = new MemoryJobSource<number>();
    source.add(1);
    source.add(2);
    const [a, b] = await source.pull(2, { leaseMs: 1000 });
    await source.ack(a as Job<number>);
    await source.ack(a as Job<number>);
    expect(source.acked).toHaveLength(1);
    await source.release([b as Job<number>]);
    await source.release([b as Job<number>]);
    const [again] = await source.pull(1, { leaseMs: 1000 });
    expect(again).toMatchObject({ id: 'job-2', deliveries: 1 });
    source.add(3);
    const [c] = await source.pull(1, { leaseMs: 1000 });
    await expect(source.release([c as Job<number>, { ...(again as Job<number>), lease: 'stale' }])).rejects.toMatchObject({ code: 'ERR_BULWARK_LEASE_LOST' });
    expect(source.counts().claimed).toBe(2); // c was not released either
  });
});
