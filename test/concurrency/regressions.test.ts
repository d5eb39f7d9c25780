// One test per scheduler promise that 0.1 broke (each reproduced against 0.1 from outside).
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { ConcurrencyManager, isReentrantRunError } from '../../src/index.js';
import { PriorityQueue } from '../../src/concurrency/queue.js';
import { deferred } from '../helpers/deferred.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** Tasks that run until released, counting how many run at once. */
function gauge() {
  let running = 0;
  let peak = 0;
  const gates: Array<() => void> = [];
  const task = async (): Promise<void> => {
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((resolve) => gates.push(resolve));
    running--;
  };
  return { task, running: () => running, peak: () => peak, releaseAll: () => gates.splice(0).forEach((open) => open()) };
}

describe('no idle slot while a runnable task waits', () => {
  it('resume() starts every task that can start (0.1 started 1 of 4)', async () => {
    const manager = new ConcurrencyManager({ concurrency: 4, paused: true });
    const g = gauge();
    const all = Array.from({ length: 4 }, () => manager.run(g.task));
    manager.resume();
    await flush();
    expect(g.running()).toBe(4);
    g.releaseAll();
    await Promise.all(all);
  });

  it("maxQueued: 0 with whenQueueFull: 'wait' admits callers as slots free (0.1 hung forever)", async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, maxQueued: 0, whenQueueFull: 'wait' });
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((n) => manager.run(async () => void order.push(n))));
    expect(order).toEqual([1, 2, 3]);
  });

  it('raising the limit starts every waiting task at once', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const g = gauge();
    const all = Array.from({ length: 5 }, () => manager.run(g.task));
    await flush();
    manager.concurrency = 5;
    await flush();
    expect(g.running()).toBe(5);
    g.releaseAll();
    await Promise.all(all);
  });

  it("a task held back by its key never blocks another key's task from a free slot", async () => {
    const manager = new ConcurrencyManager({ concurrency: 3, concurrencyPerKey: 1 });
    const g = gauge();
    const a = [manager.run(g.task, { key: 'a' }), manager.run(g.task, { key: 'a' }), manager.run(g.task, { key: 'a' })];
    const b = manager.run(g.task, { key: 'b' });
    await flush();
    expect(g.running()).toBe(2); // a#1 and b; a#2, a#3 wait for their key
    g.releaseAll();
    await flush();
    g.releaseAll();
    await flush();
    g.releaseAll();
    await Promise.all([...a, b]);
  });
});

describe('nesting never deadlocks and never exceeds the limit', () => {
  it('50 children of one task at concurrency 2 run at most 2 at once (0.1 ran all 50 inline)', async () => {
    const manager = new ConcurrencyManager({ concurrency: 2 });
    let running = 0;
    let peak = 0;
    const child = async (): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      await flush();
      running--;
    };
    await manager.run(({ run }) => Promise.all(Array.from({ length: 50 }, () => run(child))));
    expect(peak).toBe(2);
    expect(manager.status()).toEqual({ active: 0, queued: 0, concurrency: 2, borrowed: 0, timedOut: 0 });
  });

  it("the same with implicit nested calls and reentrant: 'detect'", async () => {
    const manager = new ConcurrencyManager({ concurrency: 2, reentrant: 'detect' });
    let running = 0;
    let peak = 0;
    await manager.run(() =>
      Promise.all(
        Array.from({ length: 50 }, () =>
          manager.run(async () => {
            running++;
            peak = Math.max(peak, running);
            await flush();
            running--;
          }),
        ),
      ),
    );
    expect(peak).toBe(2);
  });

  it('a nested task is visible in status() while it runs', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const gate = deferred();
    const seen: unknown[] = [];
    const outer = manager.run(async ({ run }) => {
      await run(async () => {
        seen.push(manager.status());
        await gate.promise;
      });
    });
    await flush();
    expect(seen).toEqual([{ active: 2, queued: 0, concurrency: 1, borrowed: 1, timedOut: 0 }]);
    gate.resolve();
    await outer;
  });

  it("detection is exact: unrelated callers are never taken for nested ones, even after 10 000 tasks (0.1 ran 5 at once at concurrency 1)", async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, reentrant: 'detect' });
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => manager.run(() => i)));
    const g = gauge();
    const all = Array.from({ length: 5 }, () => manager.run(g.task));
    await flush();
    expect(g.running()).toBe(1);
    expect(manager.status()).toMatchObject({ active: 1, queued: 4, borrowed: 0, timedOut: 0 });
    for (let i = 0; i < 5; i++) {
      g.releaseAll();
      await flush();
    }
    await Promise.all(all);
    expect(g.peak()).toBe(1);
  });

  it('detection ends when the parent settles: work it scheduled for later is an ordinary caller', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, reentrant: 'throw' });
    const later = deferred<Promise<number>>();
    await manager.run(() => {
      setTimeout(() => later.resolve(manager.run(() => 7)), 1);
    });
    await expect(later.promise).resolves.toBe(7);
  });

  it('A → B → A across two managers never deadlocks', async () => {
    const a = new ConcurrencyManager({ concurrency: 1, reentrant: 'detect' });
    const b = new ConcurrencyManager({ concurrency: 1, reentrant: 'detect' });
    await expect(a.run(() => b.run(() => a.run(() => 'deep')))).resolves.toBe('deep');
    const c = new ConcurrencyManager({ concurrency: 1 });
    const d = new ConcurrencyManager({ concurrency: 1 });
    await expect(c.run(({ run: runC }) => d.run(() => runC(() => 'deep')))).resolves.toBe('deep');
    expect(isReentrantRunError(undefined)).toBe(false);
  });
});

describe('context and scale', () => {
  it("queued tasks run in their caller's async context, not in the context of the task that freed the slot", async () => {
    const storage = new AsyncLocalStorage<string>();
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const seen: Array<string | undefined> = [];
    await Promise.all(['first', 'second', 'third'].map((name) => storage.run(name, () => manager.run(async () => {
      await flush();
      seen.push(storage.getStore());
    }))));
    expect(seen).toEqual(['first', 'second', 'third']);
  });

  it('20 000 distinct priorities: highest first, FIFO within each, every level freed when empty', () => {
    const queue = new PriorityQueue<{ next: undefined | never; priority: number; id: number }>();
    const nodes = Array.from({ length: 40_000 }, (_, id) => ({ next: undefined, priority: (id * 7919) % 20_000, id }));
    for (const node of nodes) queue.push(node as never);
    expect(queue.levels).toBe(20_000);
    const out: Array<{ priority: number; id: number }> = [];
    for (let node = queue.shift(); node !== undefined; node = queue.shift()) out.push(node);
    expect(out).toHaveLength(40_000);
    for (let i = 1; i < out.length; i++) {
      const prev = out[i - 1] as { priority: number; id: number };
      const cur = out[i] as { priority: number; id: number };
      expect(prev.priority > cur.priority || (prev.priority === cur.priority && prev.id < cur.id)).toBe(true);
    }
    expect(queue.levels).toBe(0);
  });
});

describe('found by the adversarial review', () => {
  it('a nested run with its parent key borrows the parent slot and key instead of deadlocking', async () => {
    const manager = new ConcurrencyManager({ concurrency: 5, concurrencyPerKey: 1 });
    await expect(manager.run(({ run }) => run(() => 'child', { key: 'a' }), { key: 'a' })).resolves.toBe('child');
    const detect = new ConcurrencyManager({ concurrency: 5, concurrencyPerKey: 1, reentrant: 'detect' });
    await expect(detect.run(() => detect.run(() => 'child', { key: 'a' }), { key: 'a' })).resolves.toBe('child');
    expect(manager.status()).toEqual({ active: 0, queued: 0, concurrency: 5, borrowed: 0, timedOut: 0 });
  });

  it("whenQueueFull: 'wait' — tasks held back by their key never keep another key off a free slot", async () => {
    const manager = new ConcurrencyManager({ concurrency: 2, concurrencyPerKey: 1, maxQueued: 1, whenQueueFull: 'wait' });
    const g = gauge();
    const a1 = manager.run(g.task, { key: 'a' });
    const a2 = manager.run(g.task, { key: 'a' });
    let bStarted = false;
    const b = manager.run(async () => void (bStarted = true), { key: 'b' });
    await flush();
    expect(bStarted).toBe(true);
    g.releaseAll();
    await flush();
    g.releaseAll();
    await Promise.all([a1, a2, b]);
  });
});
