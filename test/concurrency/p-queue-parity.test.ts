// Parity with p-queue's own tests (sindresorhus/p-queue: test/basic.ts, test/advanced.ts,
// test/rate-limit.ts, test/test.ts) for the features bulwark's ConcurrencyManager shares with it:
// interval/intervalCap (bulwark: `rate`), per-task timeouts, events, the on*() waiters, setPriority
// and sizeBy. Each case is restated against bulwark's API with fake timers and exact times (p-queue's
// originals use wall-clock delays and tolerances). Where bulwark deliberately behaves otherwise, a
// `// p-queue: …; bulwark: …` comment above the assertion says how and why.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConcurrencyManager, InvalidOptionError, QueueClearedError, TaskTimeoutError } from '../../src/index.js';
import { deferred } from '../helpers/deferred.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

/** A delay on the (fake) timers. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Moves fake time forward to the absolute time `ms` (time starts at 0 in every test). */
const advanceTo = async (ms: number): Promise<void> => {
  await vi.advanceTimersByTimeAsync(ms - Date.now());
};

/** A promise's outcome and when it arrived, observed without ever leaving a rejection unhandled. */
interface Outcome<T> {
  state: 'pending' | 'fulfilled' | 'rejected';
  at: number | undefined;
  value: T | undefined;
  error: unknown;
}

function observe<T>(promise: Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = { state: 'pending', at: undefined, value: undefined, error: undefined };
  promise.then(
    (value) => {
      Object.assign(outcome, { state: 'fulfilled', at: Date.now(), value });
    },
    (error: unknown) => {
      Object.assign(outcome, { state: 'rejected', at: Date.now(), error });
    },
  );
  return outcome;
}

/** Runs `ms` of (fake) work, then records `name` in `log`. */
const job =
  (log: string[], name: string, ms: number) =>
  async (): Promise<void> => {
    await sleep(ms);
    log.push(name);
  };

describe('interval / intervalCap (bulwark: rate { limit, intervalMs })', () => {
  it('throttled: a task added mid-interval waits for the window (limit 1 / 500 ms)', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 1, intervalMs: 500 }, paused: true });
    const starts: Array<[number, number]> = [];
    const first = manager.run(() => starts.push([1, Date.now()]));
    manager.resume();
    await advanceTo(250);
    const second = manager.run(() => starts.push([2, Date.now()]));
    expect(starts).toEqual([[1, 0]]);
    await advanceTo(499);
    expect(starts).toEqual([[1, 0]]);
    await advanceTo(500);
    expect(starts).toEqual([[1, 0], [2, 500]]);
    await Promise.all([first, second]);
  });

  it('intervalCap / sliding window: five instant tasks at limit 2 / 1000 ms start at 0, 0, 1000, 1000, 2000', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 2, intervalMs: 1000 } });
    const starts: number[] = [];
    const all = Promise.all(Array.from({ length: 5 }, () => manager.run(() => starts.push(Date.now()))));
    await advanceTo(100);
    expect(starts).toEqual([0, 0]);
    await advanceTo(999);
    expect(starts).toEqual([0, 0]);
    await advanceTo(1000);
    expect(starts).toEqual([0, 0, 1000, 1000]);
    await advanceTo(2000);
    await all;
    expect(starts).toEqual([0, 0, 1000, 1000, 2000]);
  });

  it('sliding window: starts late in one interval still count at the start of the next', async () => {
    const manager = new ConcurrencyManager({ concurrency: Infinity, rate: { limit: 2, intervalMs: 1000 } });
    const starts: number[] = [];
    const run = (): Promise<number> => manager.run(() => starts.push(Date.now()));
    await advanceTo(600);
    const a = run();
    await advanceTo(700);
    const b = run();
    await advanceTo(1000);
    const c = run();
    const d = run();
    // p-queue: counts starts per fixed interval and resets the count when an interval ends, so starts just
    // before a reset and just after it can exceed intervalCap within one interval's time; bulwark: no window
    // of 1000 ms ever holds more than 2 starts, so c waits until 600 + 1000 and d until 700 + 1000.
    expect(starts).toEqual([600, 700]);
    await advanceTo(1599);
    expect(starts).toEqual([600, 700]);
    await advanceTo(1700);
    expect(starts).toEqual([600, 700, 1600, 1700]);
    await Promise.all([a, b, c, d]);
  });

  it('between idle states, consumed starts are remembered, and forgotten on time', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 2, intervalMs: 1000 } });
    const starts: number[] = [];
    await manager.run(() => starts.push(Date.now()));
    await advanceTo(300);
    const second = manager.run(async () => {
      starts.push(Date.now());
      await sleep(200);
    });
    const third = manager.run(() => starts.push(Date.now()));
    await advanceTo(350);
    expect(starts).toEqual([0, 300]);
    await advanceTo(999);
    expect(starts).toEqual([0, 300]);
    await advanceTo(1000);
    expect(starts).toEqual([0, 300, 1000]);
    await Promise.all([second, third]);

    // Idle again; at 2300 every earlier start has left the window: the next starts synchronously in run().
    await advanceTo(2300);
    let startedAt: number | undefined;
    const fourth = manager.run(() => {
      startedAt = Date.now();
    });
    expect(startedAt).toBe(2300);
    await fourth;
  });

  it('interval is kept when some adds are awaited and some are not (p-queue issue #182)', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 1, intervalMs: 100 } });
    const starts: number[] = [];
    const task = (): Promise<number> => manager.run(() => starts.push(Date.now()));
    const sequence = (async () => {
      void task();
      void task();
      void task();
      await task();
      await task();
      await task();
    })();
    await advanceTo(1000);
    await sequence;
    expect(starts).toEqual([0, 100, 200, 300, 400, 500]);
  });

  it('interval is kept when the queue empties between adds, and free again after a long idle (carryoverIntervalCount)', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 1, intervalMs: 100 } });
    const starts: number[] = [];
    const task = (): Promise<number> => manager.run(() => starts.push(Date.now()));
    // p-queue: carrying the count over an idle period needs carryoverIntervalCount: true; bulwark: the
    // window is made of start times, so a start always counts for the full intervalMs after it.
    const sequence = (async () => {
      await task();
      await task();
      await sleep(50);
      await task();
      await task();
      await sleep(250);
      await task();
      await task();
    })();
    await advanceTo(1000);
    await sequence;
    expect(starts).toEqual([0, 100, 200, 300, 550, 650]);
  });

  it('a long-running task counts once, in the window of its start (carryoverConcurrencyCount)', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 1, intervalMs: 500 }, paused: true });
    const done: string[] = [];
    const all = Promise.all([job(done, '0', 600), job(done, '1', 600)].map((fn) => manager.run(fn)));
    manager.resume();
    // p-queue: with carryoverConcurrencyCount: true a task still running at the end of an interval
    // counts against the next one too (the second would start at 1000); bulwark: the rate limits
    // starts and `concurrency` limits running tasks, so it matches carryoverConcurrencyCount: false.
    await advanceTo(550);
    expect(manager.status().active).toBe(2);
    expect(done).toEqual([]);
    await advanceTo(650);
    expect(manager.status().active).toBe(1);
    expect(done).toEqual(['0']);
    await advanceTo(1100);
    expect(done).toEqual(['0', '1']);
    await all;
  });

  it('throttled 10 per second with concurrency 5: 13 tasks of 300 ms', async () => {
    const manager = new ConcurrencyManager({ concurrency: 5, rate: { limit: 10, intervalMs: 1000 }, paused: true });
    const starts: number[] = [];
    const done: number[] = [];
    const all = Promise.all(
      Array.from({ length: 13 }, (_, i) =>
        manager.run(async () => {
          starts.push(Date.now());
          await sleep(300);
          done.push(i);
        }),
      ),
    );
    manager.resume();
    expect(done).toEqual([]);
    await advanceTo(400);
    expect(done).toEqual([0, 1, 2, 3, 4]);
    expect(manager.status().active).toBe(5);
    await advanceTo(700);
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await advanceTo(1200);
    expect(manager.status().active).toBe(3);
    expect(done).toHaveLength(10);
    await advanceTo(1300);
    expect(done).toHaveLength(13);
    expect(starts).toEqual([0, 0, 0, 0, 0, 300, 300, 300, 300, 300, 1000, 1000, 1000]);
    await all;
  });

  it('throttled, finish and resume: a task added after the first two waits for their window', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, rate: { limit: 2, intervalMs: 2000 }, paused: true });
    const done: string[] = [];
    const firstTwo = Promise.all([manager.run(job(done, '0', 100)), manager.run(job(done, '1', 100))]);
    manager.resume();
    await advanceTo(1000);
    expect(done).toEqual(['0', '1']);
    const third = observe(manager.run(job(done, '2', 100)));
    await advanceTo(1500);
    expect(done).toEqual(['0', '1']);
    await advanceTo(2099);
    expect(done).toEqual(['0', '1']);
    await advanceTo(2100);
    expect(done).toEqual(['0', '1', '2']);
    expect(third).toMatchObject({ state: 'fulfilled', at: 2100 });
    await firstTwo;
  });

  it('pause works while throttled; resume starts what the window allows', async () => {
    const manager = new ConcurrencyManager({ concurrency: 2, rate: { limit: 2, intervalMs: 1000 }, paused: true });
    const starts: number[] = [];
    const done: string[] = [];
    const all = Promise.all(
      ['0', '1', '2', '3'].map((name) =>
        manager.run(async () => {
          starts.push(Date.now());
          await sleep(100);
          done.push(name);
        }),
      ),
    );
    manager.resume();
    await advanceTo(300);
    expect(done).toEqual(['0', '1']);
    await advanceTo(600);
    manager.pause();
    await advanceTo(1400);
    expect(done).toEqual(['0', '1']);
    // The window opened at 1000 while paused: nothing started, and no timer is left waiting.
    expect(vi.getTimerCount()).toBe(0);
    await advanceTo(1500);
    manager.resume();
    await advanceTo(2200);
    expect(done).toEqual(['0', '1', '2', '3']);
    expect(starts).toEqual([0, 0, 1500, 1500]);
    await all;
  });

  it('pause from inside a task stops the queue and leaves no interval timer', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 1, intervalMs: 100 } });
    const first = manager.run(() => {
      manager.pause();
    });
    const second = observe(manager.run(() => 'task #1'));
    await advanceTo(300);
    expect(manager.status().queued).toBe(1);
    expect(second.state).toBe('pending');
    // p-queue: the interval timer is cleared on pause; bulwark: none was armed, since a paused manager never waits for the window.
    expect(vi.getTimerCount()).toBe(0);
    await first;
    manager.resume();
    await advanceTo(300);
    expect(second).toMatchObject({ state: 'fulfilled', value: 'task #1', at: 300 });
  });

  it('rapid pause/resume cycles: every task still runs, at the window’s pace', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 1, intervalMs: 100 }, paused: true });
    const starts: number[] = [];
    const all = Promise.all([0, 1, 2, 3].map(() => manager.run(() => starts.push(Date.now()))));
    for (const resumeAt of [0, 80, 160]) {
      await advanceTo(resumeAt);
      manager.resume();
      await advanceTo(resumeAt + 30);
      manager.pause();
    }
    await advanceTo(240);
    manager.resume();
    await advanceTo(400);
    await all;
    // 0: resumed; 100: the window opens during the second cycle; 200 falls in a pause; 240: resumed; 340.
    expect(starts).toEqual([0, 100, 240, 340]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('re-entrant runs from inside tasks keep the window’s count', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 2, intervalMs: 100 } });
    const starts: Array<[number, number]> = [];
    const add = (index: number): void => {
      void manager.run(() => {
        starts.push([index, Date.now()]);
        if (index < 4) add(index + 1);
      });
    };
    add(0);
    // A task that can start at once runs synchronously inside run(), as in p-queue.
    expect(starts).toEqual([[0, 0], [1, 0]]);
    await advanceTo(200);
    await manager.onIdle();
    expect(starts).toEqual([[0, 0], [1, 0], [2, 100], [3, 100], [4, 200]]);
  });

  it('re-entrant runs from an active listener keep the window’s count', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 2, intervalMs: 100 } });
    const starts: Array<[number, number]> = [];
    let next = 0;
    manager.on('active', () => {
      if (next >= 5) return;
      const index = next++;
      void manager.run(() => {
        starts.push([index, Date.now()]);
      });
    });
    void manager.run(() => {
      starts.push([-1, Date.now()]);
    });
    expect(starts).toHaveLength(2);
    await advanceTo(200);
    await manager.onIdle();
    expect([...starts].sort((a, b) => a[0] - b[0])).toEqual([[-1, 0], [0, 0], [1, 100], [2, 100], [3, 200], [4, 200]]);
  });

  it('options: no rate means no limit; a zero interval or cap is rejected, not read as "unlimited"', async () => {
    // p-queue: interval 0 disables rate limiting and intervalCap accepts Infinity; bulwark: leave `rate`
    // out for "no limit" — limit and intervalMs must be at least 1 (and finite), else InvalidOptionError.
    expect(() => new ConcurrencyManager({ rate: { limit: 1, intervalMs: 0 } })).toThrow(InvalidOptionError);
    expect(() => new ConcurrencyManager({ rate: { limit: 0, intervalMs: 100 } })).toThrow(InvalidOptionError);
    expect(() => new ConcurrencyManager({ rate: { limit: Infinity, intervalMs: 100 } })).toThrow(InvalidOptionError);
    expect(() => new ConcurrencyManager({ rate: { limit: 1, intervalMs: Infinity } })).toThrow(InvalidOptionError);
    expect(() => new ConcurrencyManager({ rate: { limit: 1, intervalMs: -1 } })).toThrow(InvalidOptionError);
    const manager = new ConcurrencyManager();
    const ends: number[] = [];
    const all = Promise.all(
      [1, 2, 3].map(() =>
        manager.run(async () => {
          await sleep(10);
          ends.push(Date.now());
        }),
      ),
    );
    await advanceTo(10);
    await all;
    expect(ends).toEqual([10, 10, 10]);
  });

  it('aborted tasks do not use the window', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, rate: { limit: 1, intervalMs: 100 } });
    const controller = new AbortController();
    const aborted = Array.from({ length: 5 }, () => observe(manager.run(() => 'abortable', { signal: controller.signal })));
    let lastStart: number | undefined;
    const last = manager.run(() => {
      lastStart = Date.now();
    });
    controller.abort();
    await advanceTo(150);
    expect(manager.status().queued).toBe(0);
    // The first abortable task had started at once (its signal is the function's from then on).
    expect(aborted.map((o) => o.state)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(lastStart).toBe(100);
    await last;
  });

  it('setPriority while rate-limited reorders what the window lets through next', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, rate: { limit: 1, intervalMs: 500 } });
    const starts: string[] = [];
    const add = (name: string, priority: number): Promise<void> =>
      manager.run(
        async () => {
          starts.push(`${name}@${Date.now()}`);
          await sleep(10);
        },
        { id: name, priority },
      );
    const all = Promise.all([add('first', 0), add('low', 0), add('high', 1), add('medium', 0.5)]);
    await advanceTo(50);
    expect(manager.setPriority('low', 2)).toBe(true);
    await advanceTo(1510);
    await all;
    expect(starts).toEqual(['first@0', 'low@500', 'high@1000', 'medium@1500']);
  });

  it('concurrency never bypasses the window: 5000 tasks at concurrency 5000 (p-queue issue #126), or concurrency raised while rate-limited', async () => {
    const manager = new ConcurrencyManager({ concurrency: 5000, rate: { limit: 1000, intervalMs: 1000 } });
    const perTime = new Map<number, number>();
    const all = Promise.all(
      Array.from({ length: 5000 }, () =>
        manager.run(() => {
          perTime.set(Date.now(), (perTime.get(Date.now()) ?? 0) + 1);
        }),
      ),
    );
    await advanceTo(4000);
    await all;
    expect([...perTime]).toEqual([
      [0, 1000],
      [1000, 1000],
      [2000, 1000],
      [3000, 1000],
      [4000, 1000],
    ]);

    // Raising concurrency while tasks wait for the window starts nothing early.
    const narrow = new ConcurrencyManager({ concurrency: 1, rate: { limit: 2, intervalMs: 500 } });
    const starts: number[] = [];
    const narrowAll = Promise.all(
      Array.from({ length: 5 }, () =>
        narrow.run(async () => {
          starts.push(Date.now());
          await sleep(50);
        }),
      ),
    );
    await advanceTo(4150);
    expect(starts).toEqual([4000, 4050]);
    narrow.concurrency = 5;
    expect(starts).toEqual([4000, 4050]);
    await advanceTo(5100);
    await narrowAll;
    expect(starts).toEqual([4000, 4050, 4500, 4550, 5000]);
  });

  it('a failing task does not disturb the window; the next still starts on time', async () => {
    const manager = new ConcurrencyManager({ rate: { limit: 2, intervalMs: 1000 } });
    const errors: unknown[] = [];
    manager.on('error', ({ error }) => errors.push(error));
    const starts: number[] = [];
    const ok = manager.run(async () => {
      starts.push(Date.now());
      await sleep(50);
    });
    const failing = observe(
      manager.run(async () => {
        starts.push(Date.now());
        await sleep(50);
        throw new Error('Task failed');
      }),
    );
    const after = manager.run(() => starts.push(Date.now()));
    await advanceTo(1000);
    await Promise.all([ok, after]);
    expect(starts).toEqual([0, 0, 1000]);
    expect(failing).toMatchObject({ state: 'rejected', at: 50 });
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('Task failed');
  });

  it('no timer outlives the work: none after the queue drains, none after clear() or after every waiter aborts', async () => {
    const manager = new ConcurrencyManager({ concurrency: 100, rate: { limit: 1, intervalMs: 60_000 } });
    await manager.run(() => 'result-0');
    await manager.onIdle();
    // p-queue: clears its interval and timeout when idle; bulwark: only a task waiting for the window arms a timer.
    expect(vi.getTimerCount()).toBe(0);

    const cleared = observe(manager.run(() => 'result-1'));
    expect(vi.getTimerCount()).toBe(1);
    expect(manager.clear()).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    await advanceTo(0);
    expect(cleared.state).toBe('rejected');
    expect(cleared.error).toBeInstanceOf(QueueClearedError);

    const controller = new AbortController();
    const aborted = [1, 2].map(() => observe(manager.run(() => 'abortable', { signal: controller.signal })));
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    await advanceTo(0);
    expect(aborted.map((o) => o.state)).toEqual(['rejected', 'rejected']);
    expect(vi.getTimerCount()).toBe(0);
    expect(manager.status()).toMatchObject({ active: 0, queued: 0 });
  });
});

describe('per-task timeout (bulwark: timeoutMs)', () => {
  it('a task past its timeout rejects with TaskTimeoutError; the per-run timeoutMs overrides the default', async () => {
    const manager = new ConcurrencyManager({ timeoutMs: 300 });
    const snail = observe(manager.run(() => sleep(400).then(() => '🐌'), { id: 'snail' }));
    const duck = observe(manager.run(() => sleep(200).then(() => '🦆')));
    const turtle = observe(manager.run(() => sleep(400).then(() => '🐢'), { timeoutMs: 500 }));
    const quick = observe(manager.run(() => sleep(100), { timeoutMs: 10 }));
    await advanceTo(10);
    expect(quick.state).toBe('rejected');
    expect(quick.error).toBeInstanceOf(TaskTimeoutError);
    expect(quick.error).toMatchObject({ code: 'ERR_BULWARK_TASK_TIMEOUT', timeoutMs: 10, taskId: undefined });
    await advanceTo(299);
    expect(snail.state).toBe('pending');
    expect(duck).toMatchObject({ state: 'fulfilled', value: '🦆', at: 200 });
    await advanceTo(300);
    expect(snail).toMatchObject({ state: 'rejected', at: 300 });
    expect(snail.error).toBeInstanceOf(TaskTimeoutError);
    expect(snail.error).toMatchObject({ code: 'ERR_BULWARK_TASK_TIMEOUT', timeoutMs: 300, taskId: 'snail' });
    await advanceTo(400);
    expect(turtle).toMatchObject({ state: 'fulfilled', value: '🐢', at: 400 });
    await manager.onIdle();
  });

  it('timed-out tasks always reject, and hold their slot until their function settles', async () => {
    const manager = new ConcurrencyManager({ timeoutMs: 300 });
    const result: string[] = [];
    const outcomes = [job(result, '🐌', 400), job(result, '🦆', 250), job(result, '🐢', 310), job(result, '🐅', 100), job(result, '⚡️', 0)].map((fn) =>
      observe(manager.run(fn)),
    );
    const idle = observe(manager.onIdle());
    await advanceTo(300);
    // p-queue: with throwOnTimeout: false the timed-out tasks resolve undefined (older versions), the slot is
    // freed at 300 and onIdle resolves then, with result ['⚡️', '🐅', '🦆']; bulwark: they reject with
    // TaskTimeoutError and still count as running (status().timedOut) until they settle, so the limit is never
    // exceeded by work nobody waits for any more — onIdle resolves when the last function has settled.
    expect(outcomes.map((o) => o.state)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(outcomes[0]?.error).toBeInstanceOf(TaskTimeoutError);
    expect(outcomes[2]?.error).toBeInstanceOf(TaskTimeoutError);
    expect(result).toEqual(['⚡️', '🐅', '🦆']);
    expect(manager.status()).toMatchObject({ active: 2, timedOut: 2 });
    expect(manager.running().map((r) => r.timedOut)).toEqual([true, true]);
    expect(idle.state).toBe('pending');
    await advanceTo(400);
    expect(result).toEqual(['⚡️', '🐅', '🦆', '🐢', '🐌']);
    expect(idle).toMatchObject({ state: 'fulfilled', at: 400 });
    expect(manager.status()).toMatchObject({ active: 0, timedOut: 0 });
  });

  it('the slot is freed when the function settles, so aborting on the signal frees it at the timeout', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, timeoutMs: 100 });
    let signalReason: unknown;
    // Ignores its signal: runs its full 250 ms.
    const stubborn = observe(
      manager.run(async ({ signal }) => {
        await sleep(250);
        signalReason = signal.reason;
      }),
    );
    let secondStart: number | undefined;
    const second = manager.run(() => {
      secondStart = Date.now();
    });
    await advanceTo(100);
    expect(stubborn.state).toBe('rejected');
    expect(signalReason).toBeUndefined();
    // p-queue: frees the slot at the timeout (the second task starts at 100 while the first still runs);
    // bulwark: the slot is taken until the first function settles, so concurrency 1 really means one.
    expect(secondStart).toBeUndefined();
    await advanceTo(250);
    expect(secondStart).toBe(250);
    expect(signalReason).toBe(stubborn.error);
    await second;

    // A task that stops on its signal settles at the timeout and frees the slot then.
    const cooperative = observe(
      manager.run(
        ({ signal }) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, 1000);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(signal.reason as Error);
            });
          }),
      ),
    );
    let thirdStart: number | undefined;
    const third = manager.run(() => {
      thirdStart = Date.now();
    });
    await advanceTo(350);
    expect(cooperative).toMatchObject({ state: 'rejected', at: 350 });
    expect(thirdStart).toBe(350);
    await third;
  });

  it('queue time does not count against timeoutMs', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const first = manager.run(() => sleep(500));
    const queued = observe(manager.run(() => sleep(200).then(() => 'done'), { timeoutMs: 300 }));
    await advanceTo(700);
    expect(queued).toMatchObject({ state: 'fulfilled', value: 'done', at: 700 });
    await first;
  });

  it('events of a timed-out task: error at the timeout, next when its function settles', async () => {
    const manager = new ConcurrencyManager({ timeoutMs: 300 });
    const log: string[] = [];
    manager.on('error', ({ id, error, durationMs }) => log.push(`error ${id} ${(error as TaskTimeoutError).code} ${durationMs}@${Date.now()}`));
    manager.on('completed', ({ id }) => log.push(`completed ${id}@${Date.now()}`));
    manager.on('next', ({ id }) => log.push(`next ${id}@${Date.now()}`));
    const slow = observe(manager.run(() => sleep(400), { id: 'slow' }));
    await advanceTo(400);
    expect(slow.state).toBe('rejected');
    // p-queue: error and next both at the timeout (the slot is freed then); bulwark: next is the slot's release.
    expect(log).toEqual(['error slow ERR_BULWARK_TASK_TIMEOUT 300@300', 'next slow@400']);
  });
});

describe('events', () => {
  it('idle: once each time the last task finishes with nothing waiting', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    let idle = 0;
    manager.on('idle', () => idle++);
    const job1 = manager.run(() => sleep(100));
    const job2 = manager.run(() => sleep(100));
    expect(manager.status()).toMatchObject({ active: 1, queued: 1 });
    expect(idle).toBe(0);
    await advanceTo(100);
    await job1;
    expect(manager.status()).toMatchObject({ active: 1, queued: 0 });
    expect(idle).toBe(0);
    await advanceTo(200);
    await job2;
    expect(manager.status()).toMatchObject({ active: 0, queued: 0 });
    expect(idle).toBe(1);
    const job3 = manager.run(() => sleep(100));
    expect(manager.status()).toMatchObject({ active: 1, queued: 0 });
    expect(idle).toBe(1);
    await advanceTo(300);
    await job3;
    expect(idle).toBe(2);
  });

  it('empty: when the queue becomes empty, not again while it stays empty', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    let empty = 0;
    manager.on('empty', () => empty++);
    const gate1 = deferred();
    const gate2 = deferred();
    const job1 = manager.run(() => gate1.promise);
    const job2 = manager.run(() => gate2.promise);
    expect(manager.status()).toMatchObject({ active: 1, queued: 1 });
    expect(empty).toBe(0);
    gate1.resolve();
    await job1;
    expect(manager.status()).toMatchObject({ active: 1, queued: 0 });
    // p-queue: 'empty' fires when it next looks at an empty queue (after job2 finishes: 0 here, 1 below);
    // bulwark: it fires when the queue becomes empty — job2 leaving it — and not again while it stays so.
    expect(empty).toBe(1);
    gate2.resolve();
    await job2;
    expect(manager.status()).toMatchObject({ active: 0, queued: 0 });
    expect(empty).toBe(1);
    // A task that starts at once never made the queue non-empty: no 'empty' for it.
    await manager.run(() => 'instant');
    expect(empty).toBe(1);
  });

  it('add: once per run call (with its id, key and priority, whether it starts at once or queues); active: once per start', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const added: Array<{ id: string | undefined; key: string | undefined; priority: number }> = [];
    manager.on('add', (event) => added.push(event));
    const active: Array<string | undefined> = [];
    manager.on('active', ({ id }) => active.push(id));
    const job1 = manager.run(() => sleep(100), { id: 'job1' });
    expect(manager.status()).toMatchObject({ active: 1, queued: 0 });
    expect(added).toHaveLength(1);
    const job2 = manager.run(() => sleep(100), { id: 'job2', key: 'tenant', priority: 3 });
    expect(manager.status()).toMatchObject({ active: 1, queued: 1 });
    expect(added).toHaveLength(2);
    await advanceTo(200);
    await Promise.all([job1, job2]);
    expect(added).toHaveLength(2);
    const job3 = manager.run(() => sleep(100));
    expect(added).toHaveLength(3);
    await advanceTo(300);
    await job3;
    expect(added).toEqual([
      { id: 'job1', key: undefined, priority: 0 },
      { id: 'job2', key: 'tenant', priority: 3 },
      { id: undefined, key: undefined, priority: 0 },
    ]);
    expect(active).toEqual(['job1', 'job2', undefined]);
  });

  it('next: once per task, when its slot is freed', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    let next = 0;
    manager.on('next', () => next++);
    const job1 = manager.run(() => sleep(100));
    expect(next).toBe(0);
    const job2 = manager.run(() => sleep(100));
    expect(next).toBe(0);
    await advanceTo(100);
    await job1;
    expect(manager.status()).toMatchObject({ active: 1, queued: 0 });
    expect(next).toBe(1);
    await advanceTo(200);
    await job2;
    expect(next).toBe(2);
    const job3 = manager.run(() => sleep(100));
    expect(next).toBe(2);
    await advanceTo(300);
    await job3;
    expect(next).toBe(3);
  });

  it('completed / error: one per settled task, with its result or error and its duration', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const completed: Array<{ result: unknown; durationMs: number }> = [];
    const errors: Array<{ error: unknown; durationMs: number }> = [];
    manager.on('completed', ({ result, durationMs }) => completed.push({ result, durationMs }));
    manager.on('error', ({ error, durationMs }) => errors.push({ error, durationMs }));
    const job1 = manager.run(() => sleep(100).then(() => 'one'));
    const failure = new Error('failure');
    const job2 = observe(
      manager.run(async () => {
        await sleep(1);
        throw failure;
      }),
    );
    expect([completed.length, errors.length]).toEqual([0, 0]);
    await advanceTo(100);
    await job1;
    expect(completed).toEqual([{ result: 'one', durationMs: 100 }]);
    expect(errors).toEqual([]);
    await advanceTo(101);
    expect(job2).toMatchObject({ state: 'rejected', error: failure });
    expect(errors).toEqual([{ error: failure, durationMs: 1 }]);
    expect(manager.status()).toMatchObject({ active: 0, queued: 0 });
    const job3 = manager.run(() => sleep(100).then(() => 'three'));
    expect(completed).toHaveLength(1);
    await advanceTo(201);
    await job3;
    expect(completed).toEqual([
      { result: 'one', durationMs: 100 },
      { result: 'three', durationMs: 100 },
    ]);
    expect(errors).toHaveLength(1);
  });

  it('a throwing listener goes to onHookError and changes nothing; on() returns an unsubscribe', async () => {
    const hookErrors: Array<[unknown, string]> = [];
    const manager = new ConcurrencyManager({ concurrency: 1, onHookError: (error, hook) => hookErrors.push([error, hook]) });
    const boom = new Error('listener broke');
    manager.on('add', () => {
      throw boom;
    });
    manager.on('completed', () => {
      throw boom;
    });
    let actives = 0;
    const off = manager.on('active', () => actives++);
    // p-queue: a listener's exception propagates out of the emitter (into add() or the queue's internals);
    // bulwark: it is reported to onHookError and the task's outcome and the manager's state are unchanged.
    const results = Promise.all([manager.run(() => 'a'), manager.run(() => sleep(10).then(() => 'b'))]);
    expect(actives).toBe(1);
    off();
    off();
    await advanceTo(10);
    await expect(results).resolves.toEqual(['a', 'b']);
    expect(actives).toBe(1);
    expect(hookErrors).toEqual([
      [boom, "listener for 'add'"],
      [boom, "listener for 'add'"],
      [boom, "listener for 'completed'"],
      [boom, "listener for 'completed'"],
    ]);
    expect(manager.status()).toMatchObject({ active: 0, queued: 0 });
  });
});

describe('onEmpty, onIdle, onSizeLessThan, onPendingZero', () => {
  it('onEmpty: resolves when the queue empties (tasks may still run), at once when it is empty', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    for (const round of [0, 1]) {
      const base = round * 200;
      void manager.run(() => sleep(100));
      void manager.run(() => sleep(100));
      expect(manager.status()).toMatchObject({ active: 1, queued: 1 });
      const empty = observe(manager.onEmpty());
      await advanceTo(base + 99);
      expect(empty.state).toBe('pending');
      await advanceTo(base + 100);
      expect(empty).toMatchObject({ state: 'fulfilled', at: base + 100 });
      expect(manager.status()).toMatchObject({ active: 1, queued: 0 });
      await advanceTo(base + 200);
    }
    await expect(manager.onEmpty()).resolves.toBeUndefined();
  });

  it('onIdle: resolves when nothing runs and nothing waits, again for a second batch, and at once when idle', async () => {
    const manager = new ConcurrencyManager({ concurrency: 2 });
    await expect(manager.onIdle()).resolves.toBeUndefined();
    for (const base of [0, 200]) {
      for (let i = 0; i < 3; i++) void manager.run(() => sleep(100));
      expect(manager.status()).toMatchObject({ active: 2, queued: 1 });
      const idle = observe(manager.onIdle());
      await advanceTo(base + 199);
      expect(idle.state).toBe('pending');
      await advanceTo(base + 200);
      expect(idle).toMatchObject({ state: 'fulfilled', at: base + 200 });
      expect(manager.status()).toMatchObject({ active: 0, queued: 0 });
    }
  });

  it('onSizeLessThan: resolves once fewer than n tasks wait', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    for (let i = 0; i < 5; i++) void manager.run(() => sleep(100));
    const lessThan4 = observe(manager.onSizeLessThan(4));
    const lessThan2 = observe(manager.onSizeLessThan(2));
    await advanceTo(100);
    expect(lessThan4).toMatchObject({ state: 'fulfilled', at: 100 });
    expect(manager.status()).toMatchObject({ queued: 3, active: 1 });
    await advanceTo(300);
    expect(lessThan2).toMatchObject({ state: 'fulfilled', at: 300 });
    expect(manager.status()).toMatchObject({ queued: 1, active: 1 });
    await expect(manager.onSizeLessThan(10)).resolves.toBeUndefined();
    const lessThan1 = observe(manager.onSizeLessThan(1));
    await advanceTo(400);
    expect(lessThan1).toMatchObject({ state: 'fulfilled', at: 400 });
    expect(manager.status()).toMatchObject({ queued: 0, active: 1 });
    await advanceTo(500);
  });

  it('onPendingZero: at once with nothing running; else when no task runs (queued ones start meanwhile); every waiter resolves, also after a failure', async () => {
    const manager = new ConcurrencyManager({ concurrency: 2 });
    await expect(manager.onPendingZero()).resolves.toBeUndefined();
    for (let i = 0; i < 4; i++) void manager.run(() => sleep(100));
    expect(manager.status()).toMatchObject({ active: 2, queued: 2 });
    const zero = observe(manager.onPendingZero());
    await advanceTo(199);
    expect(zero.state).toBe('pending');
    await advanceTo(200);
    expect(zero).toMatchObject({ state: 'fulfilled', at: 200 });
    expect(manager.status()).toMatchObject({ active: 0, queued: 0 });
    // Right after, it resolves without any time passing.
    const again = observe(manager.onPendingZero());
    await advanceTo(200);
    expect(again).toMatchObject({ state: 'fulfilled', at: 200 });

    const other = new ConcurrencyManager({ concurrency: 2 });
    const failing = observe(other.run(() => sleep(50).then(() => Promise.reject(new Error('Task failed')))));
    void other.run(() => sleep(50));
    expect(other.status().active).toBe(2);
    const waiters = [1, 2, 3].map(() => observe(other.onPendingZero()));
    await advanceTo(250);
    expect(waiters.map((w) => [w.state, w.at])).toEqual([
      ['fulfilled', 250],
      ['fulfilled', 250],
      ['fulfilled', 250],
    ]);
    expect(failing.state).toBe('rejected');
  });

  it('onPendingZero: works while paused with tasks still queued (also at concurrency 100), and across pause/resume', async () => {
    const manager = new ConcurrencyManager({ concurrency: 2 });
    const results: number[] = [];
    void manager.run(() => sleep(100).then(() => results.push(1)));
    void manager.run(() => sleep(100).then(() => results.push(2)));
    void manager.run(() => sleep(50).then(() => results.push(3)));
    expect(manager.status()).toMatchObject({ active: 2, queued: 1 });
    manager.pause();
    const zero = observe(manager.onPendingZero());
    await advanceTo(100);
    expect(zero).toMatchObject({ state: 'fulfilled', at: 100 });
    expect(results).toEqual([1, 2]);
    expect(manager.status()).toMatchObject({ active: 0, queued: 1 });
    manager.resume();
    const idle = observe(manager.onIdle());
    await advanceTo(150);
    expect(idle).toMatchObject({ state: 'fulfilled', at: 150 });
    expect(results).toEqual([1, 2, 3]);

    const wide = new ConcurrencyManager({ concurrency: 100 });
    const tasks = Array.from({ length: 200 }, () => observe(wide.run(() => sleep(10))));
    expect(wide.status()).toMatchObject({ active: 100, queued: 100 });
    wide.pause();
    const wideZero = observe(wide.onPendingZero());
    await advanceTo(160);
    expect(wideZero).toMatchObject({ state: 'fulfilled', at: 160 });
    expect(wide.status()).toMatchObject({ active: 0, queued: 100 });
    expect(wide.clear()).toBe(100);
    await advanceTo(160);
    expect(tasks.filter((t) => t.state === 'rejected')).toHaveLength(100);
  });

  it('onPendingZero: after clear(), waits only for the running task', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    void manager.run(() => sleep(50));
    const queued = [1, 2].map(() => observe(manager.run(() => sleep(50))));
    expect(manager.status()).toMatchObject({ active: 1, queued: 2 });
    // p-queue: clear() drops queued tasks, whose promises never settle; bulwark: each rejects with
    // QueueClearedError (no promise is ever left pending).
    expect(manager.clear()).toBe(2);
    expect(manager.status()).toMatchObject({ active: 1, queued: 0 });
    const zero = observe(manager.onPendingZero());
    await advanceTo(50);
    expect(zero).toMatchObject({ state: 'fulfilled', at: 50 });
    expect(queued.map((o) => o.error)).toEqual([expect.any(QueueClearedError), expect.any(QueueClearedError)]);
  });

  it('onPendingZero: tasks added while waiting start in the freed slots and are waited for too', async () => {
    const manager = new ConcurrencyManager({ concurrency: 2 });
    void manager.run(() => sleep(100));
    void manager.run(() => sleep(100));
    const zero = observe(manager.onPendingZero());
    void manager.run(() => sleep(50));
    void manager.run(() => sleep(50));
    expect(manager.status().queued).toBe(2);
    await advanceTo(150);
    expect(zero).toMatchObject({ state: 'fulfilled', at: 150 });
    expect(manager.status()).toMatchObject({ active: 0, queued: 0 });
  });

  it('onPendingZero, onEmpty and onIdle resolve in that order around a pause', async () => {
    const manager = new ConcurrencyManager({ concurrency: 2 });
    const events: string[] = [];
    for (let i = 0; i < 4; i++) void manager.run(() => sleep(50));
    manager.pause();
    const empty = manager.onEmpty().then(() => events.push(`empty@${Date.now()}`));
    const zero = manager.onPendingZero().then(() => events.push(`pendingZero@${Date.now()}`));
    const idle = manager.onIdle().then(() => events.push(`idle@${Date.now()}`));
    await advanceTo(50);
    await zero;
    expect(events).toEqual(['pendingZero@50']);
    manager.resume();
    await advanceTo(100);
    await Promise.all([empty, idle]);
    expect(events).toEqual(['pendingZero@50', 'empty@50', 'idle@100']);
  });
});

describe('setPriority and sizeBy', () => {
  /** concurrency n, one 400 ms task per name (its name as id), each logging its name when done. */
  function emojiQueue(concurrency: number, names: string[], withIds = true): { manager: ConcurrencyManager; result: string[]; all: Promise<void[]> } {
    const manager = new ConcurrencyManager({ concurrency });
    const result: string[] = [];
    const all = Promise.all(names.map((name) => manager.run(job(result, name, 400), withIds ? { id: name } : undefined)));
    return { manager, result, all };
  }

  it('sizeBy({ priority }): counts waiting tasks by priority; 0 after clear()', async () => {
    const manager = new ConcurrencyManager({ paused: true });
    const tasks = [1, 0, 1].map((priority) => observe(manager.run(() => 0, priority === 0 ? { priority, key: 'k' } : { priority })));
    expect(manager.sizeBy({ priority: 1 })).toBe(2);
    expect(manager.sizeBy({ priority: 0 })).toBe(1);
    expect(manager.sizeBy({ priority: 0, key: 'k' })).toBe(1);
    expect(manager.sizeBy({ priority: 1, key: 'k' })).toBe(0);
    expect(manager.sizeBy()).toBe(3);
    manager.clear();
    await manager.onEmpty();
    expect(manager.sizeBy({ priority: 1 })).toBe(0);
    expect(manager.sizeBy({ priority: 0 })).toBe(0);
    await advanceTo(0);
    expect(tasks.map((t) => t.state)).toEqual(['rejected', 'rejected', 'rejected']);
  });

  it('setPriority: raise a queued task ahead of the others, or lower one behind them (concurrency 1)', async () => {
    const raised = emojiQueue(1, ['🐌', '🦆', '🐢']);
    expect(raised.manager.setPriority('🐢', 1)).toBe(true);
    // Ids need not be unique: the duck's are repeated, the turtle's is not.
    const lowered = emojiQueue(1, ['🐌', '🦆', '🦆', '🐢', '🦆', '🦆']);
    expect(lowered.manager.setPriority('🐢', -1)).toBe(true);
    await advanceTo(2400);
    await Promise.all([raised.all, lowered.all]);
    expect(raised.result).toEqual(['🐌', '🐢', '🦆']);
    expect(lowered.result).toEqual(['🐌', '🦆', '🦆', '🦆', '🦆', '🐢']);
  });

  it('setPriority: with concurrency 2 and 3 only queued tasks move, also several to different priorities', async () => {
    const two = emojiQueue(2, ['🐌', '🦆', '🐢', '⚡️']);
    expect(two.manager.setPriority('⚡️', 1)).toBe(true);
    const three = emojiQueue(3, ['🐌', '🦆', '🐢', '⚡️', '🦀']);
    expect(three.manager.setPriority('🦀', 1)).toBe(true);
    const several = emojiQueue(2, ['🐌', '🦆', '🐢', '⚡️', '🦀']);
    expect(several.manager.setPriority('⚡️', 1)).toBe(true);
    expect(several.manager.setPriority('🦀', 2)).toBe(true);
    await advanceTo(1200);
    await Promise.all([two.all, three.all, several.all]);
    expect(two.result).toEqual(['🐌', '🦆', '⚡️', '🐢']);
    expect(three.result).toEqual(['🐌', '🦆', '🐢', '🦀', '⚡️']);
    expect(several.result).toEqual(['🐌', '🦆', '🦀', '⚡️', '🐢']);
  });

  it('setPriority: an unknown id, a started task, or a task run without an id is not found (false)', async () => {
    const { manager, result, all } = emojiQueue(1, ['🐌', '🦆']);
    // p-queue: throws a ReferenceError; bulwark: returns false, since a task starting between a caller's
    // check and this call is a race, not a programming error.
    expect(manager.setPriority('🐌', 5)).toBe(false);
    expect(manager.setPriority('🦈', 5)).toBe(false);
    expect(() => manager.setPriority('🦆', Number.NaN)).toThrow(InvalidOptionError);
    const anonymous = emojiQueue(3, ['🐌', '🦆', '🐢', '⚡️', '🦀'], false);
    // p-queue: gives every task an id (a counter, '5' for the fifth), so setPriority('5', 1) moves 🦀 ahead;
    // bulwark: an id is only what the caller gave, so nothing is found and the order is unchanged.
    expect(anonymous.manager.setPriority('5', 1)).toBe(false);
    await advanceTo(800);
    await Promise.all([all, anonymous.all]);
    expect(result).toEqual(['🐌', '🦆']);
    expect(manager.setPriority('🦆', 1)).toBe(false);
    expect(anonymous.result).toEqual(['🐌', '🦆', '🐢', '⚡️', '🦀']);
  });

  it('setPriority: the moved task goes behind those already waiting with its new priority', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, paused: true });
    const order: string[] = [];
    const add = (name: string, priority: number): Promise<number> => manager.run(() => order.push(name), { id: name, priority });
    const all = Promise.all([add('a', 1), add('b', 0), add('c', 0), add('d', 1)]);
    expect(manager.setPriority('c', 1)).toBe(true);
    // Same priority as before: still moves to the back of that priority, as if added now.
    expect(manager.setPriority('a', 1)).toBe(true);
    expect(manager.sizeBy({ priority: 1 })).toBe(3);
    manager.resume();
    await all;
    expect(order).toEqual(['d', 'c', 'a', 'b']);
  });
});
