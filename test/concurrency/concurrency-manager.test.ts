import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConcurrencyManager,
  InvalidOptionError,
  QueueClearedError,
  QueueFullError,
  QueueTimeoutError,
  ReentrantRunError,
} from '../../src/index.js';
import { deferred, flush, type Deferred } from '../helpers/deferred.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();
afterEach(() => {
  vi.useRealTimers();
});

/** A manager plus a log of starts, where each task waits on its own deferred. */
function harness(options: ConstructorParameters<typeof ConcurrencyManager>[0] = {}) {
  const manager = new ConcurrencyManager(options);
  const started: string[] = [];
  const gates = new Map<string, Deferred<string>>();
  let running = 0;
  let peak = 0;
  const task = (name: string, runOptions?: Parameters<ConcurrencyManager['run']>[1]): Promise<string> => {
    const gate = deferred<string>();
    gates.set(name, gate);
    return manager.run(async () => {
      started.push(name);
      running++;
      peak = Math.max(peak, running);
      try {
        return await gate.promise;
      } finally {
        running--;
      }
    }, runOptions);
  };
  const finish = async (name: string): Promise<void> => {
    gates.get(name)?.resolve(name);
    await flush();
  };
  return { manager, started, task, finish, peak: () => peak };
}

describe('ConcurrencyManager: limits and order', () => {
  it('runs every queued task at concurrency 1 (the old manager left them stuck)', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const order: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        manager.run(async () => {
          order.push(i);
          await flush();
          return i * 2;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(manager.status()).toEqual({ active: 0, queued: 0, concurrency: 1, borrowed: 0, timedOut: 0 });
  });

  it('never runs more than concurrency and starts in FIFO order', async () => {
    const h = harness({ concurrency: 2 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((n) => h.task(n));
    await flush();
    expect(h.started).toEqual(['a', 'b']);
    expect(h.manager.status()).toEqual({ active: 2, queued: 3, concurrency: 2, borrowed: 0, timedOut: 0 });
    await h.finish('b');
    expect(h.started).toEqual(['a', 'b', 'c']);
    await h.finish('a');
    await h.finish('c');
    await h.finish('d');
    await h.finish('e');
    await expect(Promise.all(all)).resolves.toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(h.peak()).toBe(2);
  });

  it('a new caller never overtakes tasks already queued at the same priority', async () => {
    const h = harness({ concurrency: 1 });
    void h.task('first');
    void h.task('queued1');
    void h.task('queued2');
    await flush();
    await h.finish('first');
    // A slot frees and a new caller arrives in the same tick: it must queue behind.
    void h.task('late');
    await flush();
    expect(h.started).toEqual(['first', 'queued1']);
    await h.finish('queued1');
    await h.finish('queued2');
    expect(h.started).toEqual(['first', 'queued1', 'queued2', 'late']);
    await h.finish('late');
  });

  it('runs higher priority first, FIFO within a priority', async () => {
    const h = harness({ concurrency: 1 });
    void h.task('running');
    void h.task('low1', { priority: -1 });
    void h.task('normal1');
    void h.task('high1', { priority: 10 });
    void h.task('normal2', { priority: 0 });
    void h.task('high2', { priority: 10 });
    await flush();
    for (const name of ['running', 'high1', 'high2', 'normal1', 'normal2', 'low1']) await h.finish(name);
    expect(h.started).toEqual(['running', 'high1', 'high2', 'normal1', 'normal2', 'low1']);
  });

  it('propagates results and errors, releasing the slot either way', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const boom = new Error('boom');
    const a = manager.run(() => Promise.reject(boom));
    const b = manager.run(() => {
      throw boom;
    });
    const c = manager.run(() => 'sync value');
    await expect(a).rejects.toBe(boom);
    await expect(b).rejects.toBe(boom);
    await expect(c).resolves.toBe('sync value');
    expect(manager.status().active).toBe(0);
  });

  it('raising concurrency at run time starts waiting tasks at once; lowering lets running ones finish', async () => {
    const h = harness({ concurrency: 1 });
    for (const n of ['a', 'b', 'c', 'd']) void h.task(n);
    await flush();
    h.manager.concurrency = 3;
    await flush();
    expect(h.started).toEqual(['a', 'b', 'c']);
    h.manager.concurrency = 1;
    await h.finish('a');
    await h.finish('b');
    expect(h.started).toEqual(['a', 'b', 'c']); // still 1 running (c): d waits
    await h.finish('c');
    expect(h.started).toEqual(['a', 'b', 'c', 'd']);
    await h.finish('d');
    expect(() => {
      h.manager.concurrency = 0;
    }).toThrow('Expected `concurrency` to be an integer >= 1 or Infinity, got `0` (number)');
  });
});

describe('ConcurrencyManager: back-pressure, abort, timeout, clear', () => {
  it('rejects with QueueFullError beyond maxQueued', async () => {
    const h = harness({ concurrency: 1, maxQueued: 2 });
    void h.task('a');
    void h.task('b');
    void h.task('c');
    await expect(h.task('d')).rejects.toSatisfy((e: unknown) => {
      expect(e).toBeInstanceOf(QueueFullError);
      expect(e).toMatchObject({ code: 'ERR_BULWARK_QUEUE_FULL', maxQueued: 2, concurrency: 1 });
      return true;
    });
    for (const n of ['a', 'b', 'c']) await h.finish(n);
    expect(h.started).toEqual(['a', 'b', 'c']);
  });

  it("whenQueueFull: 'wait' holds the caller until there is room, in order", async () => {
    const h = harness({ concurrency: 1, maxQueued: 1, whenQueueFull: 'wait' });
    const all = ['a', 'b', 'c', 'd'].map((n) => h.task(n));
    await flush();
    expect(h.manager.status()).toEqual({ active: 1, queued: 3, concurrency: 1, borrowed: 0, timedOut: 0 });
    for (const n of ['a', 'b', 'c', 'd']) await h.finish(n);
    await expect(Promise.all(all)).resolves.toEqual(['a', 'b', 'c', 'd']);
    expect(h.started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('an aborted signal removes a queued task with its reason; it never takes a slot', async () => {
    const h = harness({ concurrency: 1 });
    const controller = new AbortController();
    void h.task('a');
    const b = h.task('b', { signal: controller.signal });
    void h.task('c');
    await flush();
    expect(h.manager.status().queued).toBe(2);
    controller.abort(new Error('user left'));
    await expect(b).rejects.toThrow('user left');
    expect(h.manager.status().queued).toBe(1);
    await h.finish('a');
    await h.finish('c');
    expect(h.started).toEqual(['a', 'c']);
  });

  it('rejects at once for an already-aborted signal', async () => {
    const manager = new ConcurrencyManager();
    const fn = vi.fn();
    await expect(manager.run(fn, { signal: AbortSignal.abort('nope') })).rejects.toBe('nope');
    expect(fn).not.toHaveBeenCalled();
  });

  it('queueTimeoutMs counts time spent queued', async () => {
    vi.useFakeTimers();
    const h = harness({ concurrency: 1, queueTimeoutMs: 1000 });
    void h.task('a');
    const b = h.task('b');
    const bRejected = expect(b).rejects.toSatisfy((e: unknown) => e instanceof QueueTimeoutError && e.timeoutMs === 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(h.manager.status().queued).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await bRejected;
    expect(h.manager.status().queued).toBe(0);
    // A task that starts in time is not timed out while running.
    const c = h.task('c');
    vi.useRealTimers();
    await h.finish('a');
    expect(h.started).toEqual(['a', 'c']);
    await h.finish('c');
    await expect(c).resolves.toBe('c');
  });

  it('clear(reason) rejects every queued task with QueueClearedError and leaves running ones', async () => {
    const h = harness({ concurrency: 1 });
    const a = h.task('a');
    const rest = ['b', 'c', 'd'].map((n) => h.task(n));
    await flush();
    const reason = new Error('shutting down');
    expect(h.manager.clear(reason)).toBe(3);
    for (const p of rest) {
      await expect(p).rejects.toSatisfy((e: unknown) => e instanceof QueueClearedError && e.cause === reason);
    }
    expect(h.manager.status()).toEqual({ active: 1, queued: 0, concurrency: 1, borrowed: 0, timedOut: 0 });
    await h.finish('a');
    await expect(a).resolves.toBe('a');
    expect(h.started).toEqual(['a']);
  });
});

describe('ConcurrencyManager: events and pausing', () => {
  it('onEmpty resolves when the queue empties, onIdle when everything finished', async () => {
    const h = harness({ concurrency: 1 });
    await h.manager.onIdle(); // idle at once
    void h.task('a');
    void h.task('b');
    let empty = false;
    let idle = false;
    void h.manager.onEmpty().then(() => (empty = true));
    void h.manager.onIdle().then(() => (idle = true));
    await flush();
    expect([empty, idle]).toEqual([false, false]);
    await h.finish('a');
    expect([empty, idle]).toEqual([true, false]);
    await h.finish('b');
    expect([empty, idle]).toEqual([true, true]);
  });

  it('pause holds queued tasks; resume starts them', async () => {
    const h = harness({ concurrency: 2, paused: true });
    void h.task('a');
    void h.task('b');
    await flush();
    expect(h.started).toEqual([]);
    expect(h.manager.isPaused).toBe(true);
    h.manager.resume();
    await flush();
    expect(h.started).toEqual(['a', 'b']);
    h.manager.pause();
    void h.task('c');
    await h.finish('a');
    expect(h.started).toEqual(['a', 'b']);
    h.manager.resume();
    await flush();
    expect(h.started).toEqual(['a', 'b', 'c']);
    await h.finish('b');
    await h.finish('c');
  });
});

describe('ConcurrencyManager: re-entrance and keys', () => {
  it('a nested run through the context borrows the parent slot instead of deadlocking', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const result = await manager.run(async ({ run }) => {
      const inner = await run(async () => 'inner');
      return `outer(${inner})`;
    });
    expect(result).toBe('outer(inner)');
  });

  it("reentrant: 'detect' recognises an implicit nested run and lends it the parent's slot", async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, reentrant: 'detect' });
    const result = await manager.run(async () => `outer(${await manager.run(async () => 'inner')})`);
    expect(result).toBe('outer(inner)');
  });

  it("reentrant: 'throw' rejects nested runs with ReentrantRunError", async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, reentrant: 'throw' });
    await expect(manager.run(() => manager.run(() => 1))).rejects.toBeInstanceOf(ReentrantRunError);
    // Calls from outside any task are unaffected, and a different manager is not re-entrance.
    const other = new ConcurrencyManager({ concurrency: 1, reentrant: 'throw' });
    await expect(manager.run(() => other.run(() => 2))).resolves.toBe(2);
  });

  it('concurrencyPerKey limits each key within the global limit, keeping order', async () => {
    const h = harness({ concurrency: 3, concurrencyPerKey: 1 });
    void h.task('p1-a', { key: 'p1' });
    void h.task('p1-b', { key: 'p1' });
    void h.task('p2-a', { key: 'p2' });
    void h.task('p1-c', { key: 'p1' });
    void h.task('p3-a', { key: 'p3' });
    await flush();
    expect(h.started).toEqual(['p1-a', 'p2-a', 'p3-a']);
    expect(h.manager.status()).toEqual({ active: 3, queued: 2, concurrency: 3, borrowed: 0, timedOut: 0 });
    await h.finish('p1-a');
    expect(h.started).toEqual(['p1-a', 'p2-a', 'p3-a', 'p1-b']);
    await h.finish('p1-b');
    expect(h.started.at(-1)).toBe('p1-c');
    for (const n of ['p2-a', 'p3-a', 'p1-c']) await h.finish(n);
    expect(h.manager.status()).toEqual({ active: 0, queued: 0, concurrency: 3, borrowed: 0, timedOut: 0 });
  });

  it('validates options and run arguments', async () => {
    expect(() => new ConcurrencyManager({ concurrency: 0 })).toThrow('Expected `concurrency` to be an integer >= 1 or Infinity, got `0` (number)');
    expect(() => new ConcurrencyManager({ maxQueued: -1 })).toThrow(InvalidOptionError);
    expect(() => new ConcurrencyManager({ whenQueueFull: 'drop' as 'wait' })).toThrow('Expected `whenQueueFull` to be one of `reject`, `wait`, got `"drop"` (string)');
    const manager = new ConcurrencyManager();
    await expect(manager.run('nope' as unknown as () => void)).rejects.toThrow('Expected `fn` to be a function');
    await expect(manager.run(() => 1, { priority: Number.NaN })).rejects.toThrow('Expected `priority` to be a finite number');
  });
});

describe('ConcurrencyManager: property', () => {
  it('never exceeds the limit, settles every task exactly once, under random durations and failures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.record({ ticks: fc.integer({ min: 0, max: 3 }), fails: fc.boolean(), priority: fc.integer({ min: -1, max: 1 }) }), { maxLength: 40 }),
        async (limit, specs) => {
          const manager = new ConcurrencyManager({ concurrency: limit });
          let running = 0;
          let peak = 0;
          const settled = await Promise.allSettled(
            specs.map((spec, i) =>
              manager.run(async () => {
                running++;
                peak = Math.max(peak, running);
                for (let t = 0; t < spec.ticks; t++) await Promise.resolve();
                running--;
                if (spec.fails) throw new Error(`f${i}`);
                return i;
              }, { priority: spec.priority }),
            ),
          );
          expect(peak).toBeLessThanOrEqual(limit);
          settled.forEach((s, i) => {
            if (specs[i]?.fails) expect(s).toEqual({ status: 'rejected', reason: new Error(`f${i}`) });
            else expect(s).toEqual({ status: 'fulfilled', value: i });
          });
          expect(manager.status()).toEqual({ active: 0, queued: 0, concurrency: limit, borrowed: 0, timedOut: 0 });
        },
      ),
      { numRuns: 150 },
    );
  });
});
