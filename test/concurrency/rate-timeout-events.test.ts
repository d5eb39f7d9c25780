// Rate limits, task timeouts, events and queue introspection of ConcurrencyManager (issue #15):
// exact times under fake timers, hostile listeners, signals ignored, timers left behind.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConcurrencyManager, InvalidOptionError, TaskTimeoutError, isTaskTimeoutError, type ConcurrencyEvents, type TaskContext } from '../../src/index.js';
import { deferred, type Deferred } from '../helpers/deferred.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets queued microtasks run without moving fake time. */
const settle = async (): Promise<void> => {
  await vi.advanceTimersByTimeAsync(0);
};

describe('rate: a sliding window of starts', () => {
  it('limit 2 per 1000 ms: five instant tasks start at 0, 0, 1000, 1000, 2000 (exact)', async () => {
    const manager = new ConcurrencyManager({ concurrency: Infinity, rate: { limit: 2, intervalMs: 1000 } });
    const starts: number[] = [];
    const all = Promise.all(Array.from({ length: 5 }, () => manager.run(() => starts.push(Date.now()))));
    await vi.advanceTimersByTimeAsync(999);
    expect(starts).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toEqual([0, 0, 1000, 1000]);
    await vi.advanceTimersByTimeAsync(1000);
    await all;
    expect(starts).toEqual([0, 0, 1000, 1000, 2000]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds for every window, not per fixed interval: starts at 900 and 999 make the next wait until 1900', async () => {
    const manager = new ConcurrencyManager({ concurrency: Infinity, rate: { limit: 2, intervalMs: 1000 } });
    const starts: number[] = [];
    await vi.advanceTimersByTimeAsync(900);
    void manager.run(() => starts.push(Date.now()));
    await vi.advanceTimersByTimeAsync(99);
    void manager.run(() => starts.push(Date.now()));
    // A fixed window starting at 0 would reset at 1000 and let two more start there: 4 starts in 101 ms.
    await vi.advanceTimersByTimeAsync(1);
    const third = manager.run(() => starts.push(Date.now()));
    await vi.advanceTimersByTimeAsync(899);
    expect(starts).toEqual([900, 999]);
    await vi.advanceTimersByTimeAsync(1);
    await third;
    expect(starts).toEqual([900, 999, 1900]);
  });

  it('with concurrency: the tighter of the two binds, and no slot idles while the rate allows a start', async () => {
    const manager = new ConcurrencyManager({ concurrency: 2, rate: { limit: 3, intervalMs: 1000 } });
    const starts: Array<[number, number]> = [];
    const tasks = Array.from({ length: 6 }, (_, i) =>
      manager.run(async () => {
        starts.push([i, Date.now()]);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }),
    );
    await vi.advanceTimersByTimeAsync(5000);
    await Promise.all(tasks);
    // 0 and 1 at once (concurrency), 2 when a slot frees at 100, then the window (3 per 1000 ms) holds 3 until 1000.
    expect(starts).toEqual([[0, 0], [1, 0], [2, 100], [3, 1000], [4, 1000], [5, 1100]]);
  });

  it('ratePerKey: a quota per key; a held-back task keeps its place for its key while other keys go ahead', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, ratePerKey: { limit: 1, intervalMs: 1000 } });
    const starts: string[] = [];
    const run = (name: string, key: string): Promise<number> => manager.run(() => starts.push(`${name}@${Date.now()}`), { key });
    const all = Promise.all([run('a1', 'a'), run('a2', 'a'), run('b1', 'b'), run('a3', 'a'), run('b2', 'b')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(starts).toEqual(['a1@0', 'b1@0']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(starts).toEqual(['a1@0', 'b1@0', 'a2@1000', 'b2@1000']);
    await vi.advanceTimersByTimeAsync(1000);
    await all;
    expect(starts).toEqual(['a1@0', 'b1@0', 'a2@1000', 'b2@1000', 'a3@2000']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an idle manager keeps no timer: not after the queue drains, not after clear(), not after the last waiter aborts', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 1, intervalMs: 60_000 } });
    await manager.run(() => 1);
    const waiting = manager.run(() => 2);
    await settle();
    expect(vi.getTimerCount()).toBe(1);
    manager.clear();
    await expect(waiting).rejects.toThrow('cleared');
    expect(vi.getTimerCount()).toBe(0);

    const controller = new AbortController();
    const aborted = manager.run(() => 3, { signal: controller.signal });
    await settle();
    expect(vi.getTimerCount()).toBe(1);
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('nested runs count against the rate and still never deadlock', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, rate: { limit: 1, intervalMs: 1000 } });
    const starts: number[] = [];
    const result = manager.run(async ({ run }) => {
      starts.push(Date.now());
      return run(() => {
        starts.push(Date.now());
        return 'child';
      });
    });
    await vi.advanceTimersByTimeAsync(1000);
    await expect(result).resolves.toBe('child');
    expect(starts).toEqual([0, 1000]);
  });

  it('pause holds rate-limited tasks; resume starts them as the window allows', async () => {
    const manager = new ConcurrencyManager({ concurrency: Infinity, rate: { limit: 1, intervalMs: 100 }, paused: true });
    const starts: number[] = [];
    const all = Promise.all([1, 2, 3].map(() => manager.run(() => starts.push(Date.now()))));
    await vi.advanceTimersByTimeAsync(500);
    expect(starts).toEqual([]);
    manager.resume();
    await vi.advanceTimersByTimeAsync(200);
    await all;
    expect(starts).toEqual([500, 600, 700]);
  });

  it('rejects bad rate options synchronously with InvalidOptionError', () => {
    for (const rate of [{ limit: 0, intervalMs: 1 }, { limit: 1, intervalMs: 0 }, { limit: 1.5, intervalMs: 10 }, { limit: 1, intervalMs: Number.NaN }, null]) {
      expect(() => new ConcurrencyManager({ rate: rate as never })).toThrow(InvalidOptionError);
      expect(() => new ConcurrencyManager({ ratePerKey: rate as never })).toThrow(InvalidOptionError);
    }
  });

  it('property: no window of intervalMs ever holds more than limit starts (globally and per key), and every task settles', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.record({ at: fc.nat(300), duration: fc.nat(200), key: fc.constantFrom(undefined, 'a', 'b') }), { minLength: 1, maxLength: 25 }),
        async (concurrency, limit, perKey, plan) => {
          vi.setSystemTime(0);
          const intervalMs = 100;
          const manager = new ConcurrencyManager({ concurrency, rate: { limit, intervalMs }, ratePerKey: { limit: perKey, intervalMs } });
          const starts: Array<{ at: number; key: string | undefined }> = [];
          let running = 0;
          let overLimit = false;
          const promises: Promise<unknown>[] = [];
          for (const step of [...plan].sort((x, y) => x.at - y.at)) {
            await vi.advanceTimersByTimeAsync(step.at - Date.now());
            promises.push(
              manager.run(
                async () => {
                  starts.push({ at: Date.now(), key: step.key });
                  if (++running > concurrency) overLimit = true;
                  await new Promise((resolve) => setTimeout(resolve, step.duration));
                  running--;
                },
                step.key === undefined ? {} : { key: step.key },
              ),
            );
          }
          await vi.advanceTimersByTimeAsync(100_000);
          await Promise.all(promises);
          expect(overLimit).toBe(false);
          expect(starts).toHaveLength(plan.length);
          for (const s of starts) {
            const inWindow = starts.filter((t) => t.at > s.at - intervalMs && t.at <= s.at);
            expect(inWindow.length).toBeLessThanOrEqual(limit);
            if (s.key !== undefined) expect(inWindow.filter((t) => t.key === s.key).length).toBeLessThanOrEqual(perKey);
          }
          expect(vi.getTimerCount()).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('timeoutMs', () => {
  it('rejects at the timeout with a TaskTimeoutError, aborts the task signal with it, and holds the slot until the task settles', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const gate = deferred<string>();
    let signal: AbortSignal | undefined;
    const slow = manager.run(
      (context) => {
        signal = context.signal;
        return gate.promise; // ignores its signal
      },
      { timeoutMs: 1000, id: 'slow' },
    );
    const next = manager.run(() => 'next');
    const outcome = slow.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1000);
    const error = await outcome;
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_BULWARK_TASK_TIMEOUT', timeoutMs: 1000, taskId: 'slow' });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
    // The limit is never exceeded: the next task waits for the timed-out one to really finish.
    expect(manager.status()).toMatchObject({ active: 1, queued: 1, timedOut: 1 });
    expect(manager.running()).toEqual([{ id: 'slow', key: undefined, startedAt: 0, timeoutMs: 1000, timedOut: true, borrowed: false }]);
    gate.resolve('late');
    await expect(next).resolves.toBe('next');
    expect(manager.status()).toMatchObject({ active: 0, queued: 0, timedOut: 0 });
  });

  it('a task that finishes in time clears its timer; the default applies and a run may override it', async () => {
    const manager = new ConcurrencyManager({ timeoutMs: 50 });
    await expect(manager.run(() => 'fast')).resolves.toBe('fast');
    expect(vi.getTimerCount()).toBe(0);
    const long = manager.run(() => new Promise((resolve) => setTimeout(() => resolve('ok'), 80)), { timeoutMs: 100 });
    await vi.advanceTimersByTimeAsync(80);
    await expect(long).resolves.toBe('ok');
    const short = manager.run(() => new Promise((resolve) => setTimeout(resolve, 80))).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(80);
    expect(isTaskTimeoutError(await short)).toBe(true);
  });

  it('queue time does not count; timeouts past 2^31 ms do not fire early', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, timeoutMs: 100 });
    const first = manager.run(() => new Promise((resolve) => setTimeout(resolve, 90)));
    const second = manager.run(() => new Promise((resolve) => setTimeout(() => resolve('second'), 90)));
    await vi.advanceTimersByTimeAsync(180);
    await first;
    await expect(second).resolves.toBe('second');

    const month = 30 * 24 * 3600 * 1000;
    const longRun = manager.run(() => new Promise((resolve) => setTimeout(() => resolve('done'), month - 1)), { timeoutMs: month });
    await vi.advanceTimersByTimeAsync(month - 1);
    await expect(longRun).resolves.toBe('done');
  });

  it("the caller's signal still reaches a timed task; a late result after the timeout is dropped, not reported", async () => {
    const manager = new ConcurrencyManager({ timeoutMs: 1000 });
    const controller = new AbortController();
    let seen: unknown;
    const task = manager.run(
      ({ signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            seen = signal.reason;
            reject(signal.reason as Error);
          });
        }),
      { signal: controller.signal },
    );
    const outcome = task.catch((error: unknown) => error);
    controller.abort(new Error('user left'));
    expect(((await outcome) as Error).message).toBe('user left');
    expect((seen as Error).message).toBe('user left');

    const completed: unknown[] = [];
    manager.on('completed', (e) => completed.push(e.result));
    const late = manager.run(() => new Promise((resolve) => setTimeout(() => resolve('late'), 2000))).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(2000);
    expect(isTaskTimeoutError(await late)).toBe(true);
    expect(completed).toEqual([]);
    expect(manager.status()).toMatchObject({ active: 0, timedOut: 0 });
  });

  it('bad timeouts are rejected: synchronously in options, as a rejected run per call', async () => {
    expect(() => new ConcurrencyManager({ timeoutMs: 0 })).toThrow(InvalidOptionError);
    await expect(new ConcurrencyManager().run(() => 1, { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(new ConcurrencyManager().run(() => 1, { id: 5 as never })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe('events', () => {
  function record(manager: ConcurrencyManager): string[] {
    const log: string[] = [];
    const types: Array<keyof ConcurrencyEvents> = ['add', 'active', 'next', 'completed', 'error', 'empty', 'idle'];
    for (const type of types) {
      manager.on(type, (event) => {
        const e = event as { id?: string; result?: unknown; error?: unknown };
        log.push(`${type}${e.id === undefined ? '' : `:${e.id}`}${'result' in e ? `=${String(e.result)}` : ''}${'error' in e ? `!${(e.error as Error).message}` : ''}`);
      });
    }
    return log;
  }

  it('in order: add, active, completed/error, next; empty when the queue drains, idle when all is done', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const log = record(manager);
    const a = manager.run(() => 'A', { id: 'a' });
    const b = manager.run(() => Promise.reject(new Error('B')), { id: 'b' });
    await a;
    await b.catch(() => undefined);
    await settle();
    expect(log).toEqual(['add:a', 'active:a', 'add:b', 'completed:a=A', 'next:a', 'active:b', 'empty', 'error:b!B', 'next:b', 'idle']);
  });

  it('a throwing listener goes to onHookError; the task, the other listeners and the manager carry on', async () => {
    const reported: string[] = [];
    const manager = new ConcurrencyManager({ concurrency: 1, onHookError: (error, hook) => reported.push(`${hook}: ${(error as Error).message}`) });
    const seen: string[] = [];
    for (const type of ['add', 'active', 'completed', 'next', 'idle'] as const) {
      manager.on(type, () => {
        throw new Error(`boom ${type}`);
      });
      manager.on(type, () => seen.push(type));
    }
    await expect(manager.run(() => 42)).resolves.toBe(42);
    await expect(manager.run(() => 43)).resolves.toBe(43);
    expect(seen.filter((t) => t === 'completed')).toHaveLength(2);
    expect(reported).toContain("listener for 'completed': boom completed");
    expect(manager.status()).toMatchObject({ active: 0, queued: 0 });
  });

  it('unsubscribing stops delivery, also from inside a listener; a listener may run tasks', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const seen: number[] = [];
    const off = manager.on('completed', (e) => {
      seen.push(e.result as number);
      off();
    });
    let chained: Promise<unknown> | undefined;
    const offIdle = manager.on('idle', () => {
      offIdle();
      chained = manager.run(() => 'from listener');
    });
    await manager.run(() => 1);
    await manager.run(() => 2);
    await settle();
    expect(seen).toEqual([1]);
    await expect(chained).resolves.toBe('from listener');
    expect(() => manager.on('idle', 'nope' as never)).toThrow(TypeError);
  });
});

describe('onSizeLessThan, onPendingZero, sizeBy, setPriority', () => {
  it('onSizeLessThan resolves once fewer than n wait; onPendingZero once nothing runs, even while paused with work queued', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const gates: Deferred<void>[] = [];
    const run = (): Promise<void> => {
      const gate = deferred();
      gates.push(gate);
      return manager.run(() => gate.promise);
    };
    const tasks = [run(), run(), run(), run()];
    let below2 = false;
    let pendingZero = false;
    void manager.onSizeLessThan(2).then(() => (below2 = true));
    await expect(manager.onSizeLessThan(4)).resolves.toBeUndefined(); // 3 wait: at once
    gates[0]?.resolve();
    await settle();
    expect(below2).toBe(false); // 2 wait
    gates[1]?.resolve();
    await settle();
    expect(below2).toBe(true);
    manager.pause();
    void manager.onPendingZero().then(() => (pendingZero = true));
    gates[2]?.resolve();
    await settle();
    expect(pendingZero).toBe(true);
    expect(manager.status()).toMatchObject({ active: 0, queued: 1 });
    manager.resume();
    gates[3]?.resolve();
    await Promise.all(tasks);
  });

  it('sizeBy counts waiting tasks by priority and key; setPriority moves a waiting task behind its new peers', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, paused: true });
    const order: string[] = [];
    const run = (id: string, priority: number, key?: string): Promise<number> => manager.run(() => order.push(id), { id, priority, ...(key === undefined ? {} : { key }) });
    const all = Promise.all([run('a', 0), run('b', 1, 'x'), run('c', 0, 'x'), run('d', 1)]);
    expect(manager.sizeBy()).toBe(4);
    expect(manager.sizeBy({ priority: 1 })).toBe(2);
    expect(manager.sizeBy({ key: 'x' })).toBe(2);
    expect(manager.sizeBy({ priority: 0, key: 'x' })).toBe(1);
    expect(manager.setPriority('c', 1)).toBe(true);
    expect(manager.setPriority('nobody', 5)).toBe(false);
    expect(() => manager.setPriority('a', Number.NaN)).toThrow(InvalidOptionError);
    expect(manager.sizeBy({ priority: 1 })).toBe(3);
    manager.resume();
    await all;
    expect(order).toEqual(['b', 'd', 'c', 'a']);
    expect(manager.setPriority('a', 3)).toBe(false); // started and settled: not waiting any more
  });

  it('setPriority on the only task of a priority level empties that level cleanly (heap stays consistent)', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, paused: true });
    const order: string[] = [];
    const priorities = [5, 3, 9, 1, 7];
    const all = Promise.all(priorities.map((p) => manager.run(() => order.push(`p${p}`), { id: `p${p}`, priority: p })));
    expect(manager.setPriority('p9', 0)).toBe(true);
    expect(manager.setPriority('p3', 8)).toBe(true);
    expect(manager.setPriority('p1', 10)).toBe(true);
    manager.resume();
    await all;
    expect(order).toEqual(['p1', 'p3', 'p7', 'p5', 'p9']);
  });
});

describe('events: found by the p-queue parity port', () => {
  it('a completed/error listener added while a task runs hears about that task (it started on the fast path)', async () => {
    const manager = new ConcurrencyManager();
    const ok = manager.run(() => new Promise((resolve) => setTimeout(() => resolve('x'), 20)));
    const bad = manager.run(() => new Promise((_resolve, reject) => setTimeout(() => reject(new Error('y')), 20))).catch(() => undefined);
    const seen: string[] = [];
    manager.on('completed', (e) => seen.push(`completed ${String(e.result)} after ${e.durationMs}`));
    manager.on('error', (e) => seen.push(`error ${(e.error as Error).message} after ${e.durationMs}`));
    await vi.advanceTimersByTimeAsync(20);
    await ok;
    await bad;
    expect(seen).toEqual(['completed x after 20', 'error y after 20']);
  });
});

describe('found by the adversarial pass on the scheduler additions', () => {
  it('a grandchild with its grandparent key runs on that key place instead of deadlocking', async () => {
    const manager = new ConcurrencyManager({ concurrency: Infinity, concurrencyPerKey: 1 });
    let done = false;
    const top = manager.run(
      async ({ run }) => {
        await run(async ({ run: nested }) => {
          await nested(() => 'grandchild', { key: 'a' });
        }, { key: 'c' });
        done = true;
      },
      { key: 'a' },
    );
    await vi.advanceTimersByTimeAsync(10);
    await top;
    expect(done).toBe(true);
    expect(manager.status()).toMatchObject({ active: 0, queued: 0 });
    // The key's place is still one: an unrelated task of key a waits for the family to finish.
    const order: string[] = [];
    const family = manager.run(async ({ run }) => {
      order.push('parent');
      await run(async () => {
        order.push('child');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }, { key: 'a' });
    }, { key: 'a' });
    const stranger = manager.run(() => order.push('stranger'), { key: 'a' });
    await vi.advanceTimersByTimeAsync(50);
    await Promise.all([family, stranger]);
    expect(order).toEqual(['parent', 'child', 'stranger']);
  });

  it('a nested child held back by its key rate does not hold back a sibling of another key', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, ratePerKey: { limit: 1, intervalMs: 1000 } });
    const starts: Array<[string, number]> = [];
    const parent = manager.run(async ({ run }) => {
      const a1 = run(async () => {
        starts.push(['a1', Date.now()]);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }, { key: 'a' });
      const a2 = run(() => starts.push(['a2', Date.now()]), { key: 'a' });
      const b = run(() => starts.push(['b', Date.now()]), { key: 'b' });
      await Promise.all([a1, a2, b]);
    });
    await vi.advanceTimersByTimeAsync(2000);
    await parent;
    expect(starts).toEqual([['a1', 0], ['b', 10], ['a2', 1000]]);
  });

  it('idle is not announced when an empty listener started work; it comes once the work is done', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, paused: true });
    const log: string[] = [];
    let once = true;
    manager.on('empty', () => {
      log.push('empty');
      if (once) {
        once = false;
        manager.resume();
        void manager.run(() => new Promise((resolve) => setTimeout(resolve, 10)));
      }
    });
    manager.on('idle', () => log.push(`idle active=${manager.status().active}`));
    manager.run(() => 1).catch(() => undefined);
    manager.clear();
    await vi.advanceTimersByTimeAsync(100);
    expect(log).toEqual(['empty', 'idle active=0']);
  });

  it('tasks held back by their key keep their order when several key places free up before the queue drains', async () => {
    const manager = new ConcurrencyManager({ concurrency: 10, concurrencyPerKey: 2 });
    const order: string[] = [];
    const gates: Array<() => void> = [];
    const hold = (): Promise<void> => new Promise((resolve) => gates.push(resolve));
    void manager.run(hold, { key: 'k' });
    void manager.run(hold, { key: 'k' });
    const all = ['X', 'Y', 'Z'].map((name) => manager.run(() => order.push(name), { key: 'k' }));
    await settle();
    manager.pause();
    gates[0]?.();
    await settle();
    gates[1]?.();
    await settle();
    manager.resume();
    await Promise.all(all);
    expect(order).toEqual(['X', 'Y', 'Z']);
  });

  it('a caller waiting for room (whenQueueFull: wait) is never overtaken by a later caller', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, maxQueued: 1, whenQueueFull: 'wait' });
    const order: string[] = [];
    let release!: () => void;
    const parent = manager.run(async ({ run }) => {
      await Promise.all([run(() => new Promise((resolve) => setTimeout(resolve, 10))), run(() => new Promise((resolve) => setTimeout(resolve, 10)))]);
      await new Promise<void>((resolve) => (release = resolve));
    });
    await settle();
    const first = manager.run(() => order.push('first'));
    await vi.advanceTimersByTimeAsync(10);
    const second = manager.run(() => order.push('second'));
    await vi.advanceTimersByTimeAsync(10);
    release();
    await Promise.all([parent, first, second]);
    expect(order).toEqual(['first', 'second']);
  });

  it('add is announced only for accepted tasks, once they can be found; next once the slot is free', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, maxQueued: 0 });
    const added: Array<string | undefined> = [];
    const moved: boolean[] = [];
    manager.on('add', (e) => {
      added.push(e.id);
      if (e.id === 'queued') moved.push(manager.setPriority('queued', 5));
    });
    const seen: Array<[number, number]> = [];
    manager.on('next', () => seen.push([manager.running().length, manager.status().active]));
    const gate = deferred<void>();
    const running = manager.run(() => gate.promise, { id: 'running' });
    await expect(manager.run(() => 1, { id: 'refused' })).rejects.toThrow('Queue is full');
    gate.resolve();
    await running;
    expect(added).toEqual(['running']);
    expect(seen).toEqual([[0, 0]]);
    const roomy = new ConcurrencyManager({ concurrency: 1, paused: true });
    roomy.on('add', (e) => moved.push(roomy.setPriority(e.id as string, 5)));
    const queued = roomy.run(() => 'ok', { id: 'queued' });
    roomy.resume();
    await expect(queued).resolves.toBe('ok');
    expect(moved).toEqual([true]);
  });
});

describe('found by the second fuzz of the scheduler (key families)', () => {
  const settleAll = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
  };

  it('two children of key k outliving their parent keep the one place until both are done', async () => {
    const manager = new ConcurrencyManager({ concurrency: 3, concurrencyPerKey: 1 });
    const c1 = deferred<void>();
    const c2 = deferred<void>();
    let c2Running = false;
    let strangerStarted = false;
    await manager.run(({ run }) => {
      void run(() => c1.promise, { key: 'k' });
      void run(async () => {
        c2Running = true;
        await c2.promise;
        c2Running = false;
      }, { key: 'k' });
    }, { key: 'k' });
    await settleAll();
    const stranger = manager.run(() => {
      strangerStarted = true;
    }, { key: 'k' });
    await settleAll();
    c1.resolve();
    await settleAll();
    expect({ c2Running, strangerStarted }).toEqual({ c2Running: true, strangerStarted: false });
    c2.resolve();
    await settleAll();
    await stranger;
    expect(strangerStarted).toBe(true);
  });

  it('a queued grandchild keeps its family place when the keyless task between them settles first', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, concurrencyPerKey: 1 });
    const c1 = deferred<void>();
    let grandchildRan = false;
    const top = manager.run(async ({ run }) => {
      const { inner } = await run(({ run: nested }) => {
        void nested(() => c1.promise);
        return { inner: nested(() => {
          grandchildRan = true;
        }, { key: 'k' }) };
      });
      await inner;
    }, { key: 'k' });
    await settleAll();
    c1.resolve();
    await settleAll();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(grandchildRan).toBe(true);
    await top;
  });

  it('a task put back for a freed key place and then aborted passes its turn to the next of its key', async () => {
    const manager = new ConcurrencyManager({ concurrency: 2, concurrencyPerKey: 1 });
    const a = deferred<void>();
    const b = deferred<void>();
    const x = deferred<void>();
    const first = manager.run(() => a.promise, { key: 'k' });
    const controller = new AbortController();
    const t1 = manager.run(() => 't1', { key: 'k', signal: controller.signal }).catch(() => 'aborted');
    const t2 = manager.run(() => 't2', { key: 'k' });
    const other = manager.run(() => b.promise);
    const urgent = manager.run(() => x.promise, { priority: 1 });
    await settleAll();
    a.resolve();
    await settleAll();
    controller.abort();
    b.resolve();
    x.resolve();
    await settleAll();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(manager.status()).toMatchObject({ active: 0, queued: 0 });
    await expect(t2).resolves.toBe('t2');
    await Promise.all([first, other, urgent, t1]);
  });
});

describe('found by the third fuzz of the scheduler', () => {
  const drain = async (): Promise<void> => {
    for (let i = 0; i < 50; i++) await Promise.resolve();
  };

  it('a nested run submitted by a child that was just started keeps its place in the parent lending list', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const controller = new AbortController();
    let finishB!: () => void;
    let finishX!: () => void;
    let w: Promise<unknown> | undefined;
    const parent = manager.run(async ({ run }) => {
      const b = run(() => new Promise<void>((resolve) => (finishB = resolve)));
      const x = run(() => {
        controller.abort(new Error('no longer needed'));
        w = run(() => 'W');
        return new Promise<void>((resolve) => (finishX = resolve));
      });
      run(() => 'Y', { signal: controller.signal }).catch(() => undefined);
      await b;
      await x;
      return await w;
    });
    await drain();
    finishB();
    await drain();
    finishX();
    await drain();
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(parent).resolves.toBe('W');
    expect(manager.status()).toEqual({ active: 0, queued: 0, concurrency: 1, borrowed: 0, timedOut: 0 });
  });

  it('a task that had its turn for a key place and lost it to a nested run goes back to the front of its key', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, concurrencyPerKey: 1 });
    const started: string[] = [];
    const gates: Record<string, () => void> = {};
    const contexts: Record<string, TaskContext> = {};
    const task = (name: string) => (context: TaskContext): Promise<void> => {
      started.push(name);
      contexts[name] = context;
      return new Promise<void>((resolve) => (gates[name] = resolve));
    };
    void manager.run(task('P'));
    void contexts['P']?.run(task('A1'), { key: 'a' });
    void manager.run(task('A2'), { key: 'a' });
    void manager.run(task('A3'), { key: 'a' });
    void manager.run(task('Z'));
    void contexts['P']?.run(task('C'), { key: 'a' });
    manager.concurrency = 2;
    await drain();
    gates['A1']?.();
    await drain();
    gates['Z']?.();
    await drain();
    gates['C']?.();
    await drain();
    expect(started).toEqual(['P', 'A1', 'Z', 'C', 'A2']);
  });
});

describe('rate with burst: a token bucket', () => {
  it('banks up to burst starts while quiet, then spaces starts at the rate (exact)', async () => {
    const manager = new ConcurrencyManager({ concurrency: Infinity, rate: { limit: 1, intervalMs: 1000, burst: 3 } });
    const starts: number[] = [];
    const run = (): Promise<number> => manager.run(() => starts.push(Date.now()));
    const first = Promise.all([run(), run(), run(), run(), run()]);
    await vi.advanceTimersByTimeAsync(2000);
    await first;
    expect(starts).toEqual([0, 0, 0, 1000, 2000]);
    expect(vi.getTimerCount()).toBe(0);
    // Quiet for 3 s: the bucket is full again.
    await vi.advanceTimersByTimeAsync(3000);
    const second = Promise.all([run(), run(), run(), run()]);
    await vi.advanceTimersByTimeAsync(1000);
    await second;
    expect(starts.slice(5)).toEqual([5000, 5000, 5000, 6000]);
  });

  it('partial refills count: half an interval of quiet banks half a token', async () => {
    const manager = new ConcurrencyManager({ concurrency: Infinity, rate: { limit: 2, intervalMs: 1000, burst: 2 } });
    const starts: number[] = [];
    const run = (): Promise<number> => manager.run(() => starts.push(Date.now()));
    await Promise.all([run(), run()]); // the bucket is empty at 0
    await vi.advanceTimersByTimeAsync(250); // half a token
    const next = Promise.all([run(), run()]);
    await vi.advanceTimersByTimeAsync(1000);
    await next;
    expect(starts).toEqual([0, 0, 500, 1000]);
  });

  it('per key too; bad burst values are refused', async () => {
    const manager = new ConcurrencyManager({ concurrency: Infinity, ratePerKey: { limit: 1, intervalMs: 100, burst: 2 } });
    const starts: string[] = [];
    const all = Promise.all(['a', 'a', 'a', 'b'].map((key, i) => manager.run(() => starts.push(`${key}${i}@${Date.now()}`), { key })));
    await vi.advanceTimersByTimeAsync(100);
    await all;
    expect(starts).toEqual(['a0@0', 'a1@0', 'b3@0', 'a2@100']);
    for (const burst of [0, 1.5, -1, Number.NaN]) expect(() => new ConcurrencyManager({ rate: { limit: 1, intervalMs: 10, burst } })).toThrow(InvalidOptionError);
  });

  it('property: any window of intervalMs holds at most burst + limit starts, and every task starts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(400), { minLength: 1, maxLength: 20 }), async (limit, burst, times) => {
        vi.setSystemTime(0);
        const intervalMs = 100;
        const manager = new ConcurrencyManager({ concurrency: Infinity, rate: { limit, intervalMs, burst } });
        const starts: number[] = [];
        const promises: Promise<unknown>[] = [];
        for (const at of [...times].sort((x, y) => x - y)) {
          await vi.advanceTimersByTimeAsync(at - Date.now());
          promises.push(manager.run(() => starts.push(Date.now())));
        }
        await vi.advanceTimersByTimeAsync(100_000);
        await Promise.all(promises);
        expect(starts).toHaveLength(times.length);
        for (const s of starts) expect(starts.filter((t) => t > s - intervalMs && t <= s).length).toBeLessThanOrEqual(burst + limit);
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});

describe('ConcurrencyManager options', () => {
  it('refuses an unknown option (another library\'s or a 0.1 name) with a hint instead of ignoring it', () => {
    expect(() => new ConcurrencyManager({ maxConcurrent: 10 } as never)).toThrow(/maxConcurrent.*did you mean concurrency/);
    expect(() => new ConcurrencyManager({ interval: 1000, intervalCap: 10 } as never)).toThrow(/did you mean rate/);
    expect(() => new ConcurrencyManager({ concurrency: 2, typo: true } as never)).toThrow(InvalidOptionError);
    expect(() => new ConcurrencyManager(null as never)).toThrow(InvalidOptionError);
  });
});
