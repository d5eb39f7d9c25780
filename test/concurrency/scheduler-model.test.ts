// Model-based test of ConcurrencyManager: random interleavings of run / finish / fail / abort /
// pause / resume / set limit / clear / nested run, with the invariants checked after every step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcurrencyManager, isQueueClearedError, type TaskContext } from '../../src/index.js';
import { deferred, type Deferred } from '../helpers/deferred.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

const flush = async (): Promise<void> => {
  for (let i = 0; i < 8; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

type State = 'queued' | 'running' | 'fulfilled' | 'rejected';
interface Tracked {
  readonly id: number;
  /** Changed by `setPriority` while queued. */
  priority: number;
  /** Queue position order: submission, or the last successful `setPriority` (it moves behind its new peers). */
  seq: number;
  readonly key: string | undefined;
  state: State;
  /** Inside its body now (set false the moment the body settles, before the manager frees the slot). */
  inBody: boolean;
  /** Its key family (with `concurrencyPerKey`): its own id, or that of a same-key ancestor's family still running when it started. */
  family: number | undefined;
  settledTimes: number;
  gate: Deferred<number> | undefined;
  context: TaskContext | undefined;
  readonly abort: AbortController;
  readonly parent: number | undefined;
}

const PER_KEY = 1;

type Command =
  | { readonly type: 'run'; readonly priority: number; readonly key: string | undefined; readonly nested: number | undefined }
  | { readonly type: 'finish' | 'fail' | 'abort'; readonly pick: number }
  | { readonly type: 'pause' | 'resume' | 'clear' }
  | { readonly type: 'limit'; readonly value: number }
  | { readonly type: 'reprioritize'; readonly pick: number; readonly priority: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('run' as const), priority: fc.integer({ min: -1, max: 1 }), key: fc.constantFrom(undefined, 'a', 'b'), nested: fc.option(fc.nat(20), { nil: undefined }) }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constantFrom('finish' as const, 'fail' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('abort' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom('pause' as const, 'resume' as const, 'clear' as const) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('limit' as const), value: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('reprioritize' as const), pick: fc.nat(20), priority: fc.integer({ min: -1, max: 1 }) }) },
);

describe('ConcurrencyManager: model', () => {
  it('running ≤ limit at every start, no idle slot while a runnable task waits, FIFO within a priority, status matches, every promise settles once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(command, { minLength: 1, maxLength: 40 }), async (initial, commands) => {
        const manager = new ConcurrencyManager({ concurrency: initial, concurrencyPerKey: PER_KEY });
        let limit = initial;
        let paused = false;
        const tasks: Tracked[] = [];
        const startOrder: number[] = [];
        const violations: string[] = [];
        let ownersSeen = 0;
        let seq = 0;

        // Key families: a nested task whose chain of parents reaches a task of its key whose family
        // still runs joins that family, which holds one place of the key until its last member ends.
        const familyAlive = (family: number): boolean => tasks.some((t) => t.inBody && t.family === family);
        const familyFor = (t: Tracked): number | undefined => {
          for (let a = t.parent; a !== undefined; a = tasks[a]?.parent) {
            const ancestor = tasks[a];
            if (ancestor !== undefined && ancestor.key === t.key && ancestor.family !== undefined && familyAlive(ancestor.family)) return ancestor.family;
          }
          return undefined;
        };
        const runningByKey = (key: string): number => new Set(tasks.filter((t) => t.inBody && t.key === key).map((t) => t.family)).size;
        const submit = (priority: number, key: string | undefined, parent: Tracked | undefined): void => {
          const id = tasks.length;
          const tracked: Tracked = { id, priority, seq: seq++, key, state: 'queued', inBody: false, family: undefined, settledTimes: 0, gate: undefined, context: undefined, abort: new AbortController(), parent: parent?.id };
          tasks.push(tracked);
          const body = (context: TaskContext): Promise<number> => {
            if (tracked.state !== 'queued') violations.push(`task ${id} started in state ${tracked.state}`);
            tracked.state = 'running';
            if (key !== undefined) tracked.family = familyFor(tracked) ?? id;
            tracked.inBody = true;
            tracked.context = context;
            startOrder.push(id);
            const status = manager.status();
            // A task with no parent always takes a slot of its own: the limit must allow it. A nested
            // one may borrow its parent's slot (own slots unchanged), so it is held to the last count.
            const owners = status.active - status.borrowed;
            if (owners > limit && (parent === undefined || owners > ownersSeen)) violations.push(`start of ${id}: ${owners} own slots > limit ${limit}`);
            ownersSeen = owners;
            if (key !== undefined && runningByKey(key) > PER_KEY) violations.push(`key ${key} over its limit`);
            tracked.gate = deferred<number>();
            return tracked.gate.promise.finally(() => {
              tracked.inBody = false;
            });
          };
          const options = { priority, id: `t${id}`, signal: tracked.abort.signal, ...(key === undefined ? {} : { key }) };
          const promise = parent?.context !== undefined && parent.state === 'running' ? parent.context.run(body, options) : manager.run(body, options);
          promise.then(
            () => {
              tracked.settledTimes++;
              tracked.state = 'fulfilled';
            },
            () => {
              tracked.settledTimes++;
              tracked.state = 'rejected';
            },
          );
        };

        const check = (step: string): void => {
          const status = manager.status();
          ownersSeen = status.active - status.borrowed;
          const running = tasks.filter((t) => t.state === 'running');
          const queued = tasks.filter((t) => t.state === 'queued');
          expect(status.active, `${step}: active`).toBe(running.length);
          expect(status.queued, `${step}: queued`).toBe(queued.length);
          expect(status.concurrency).toBe(limit);
          // Each borrowed slot is lent by a running ancestor (one per ancestor), and some task owns a slot.
          const lenders = new Set<number>();
          for (const t of running) {
            for (let a = t.parent; a !== undefined; a = tasks[a]?.parent) {
              if (tasks[a]?.state === 'running') lenders.add(a);
            }
          }
          expect(status.borrowed, `${step}: borrowed`).toBeLessThanOrEqual(lenders.size);
          if (running.length > 0) expect(status.active - status.borrowed, `${step}: owners`).toBeGreaterThanOrEqual(1);
          // No idle slot while a runnable task waits.
          if (!paused && status.active - status.borrowed < limit) {
            const runnable = queued.filter((t) => t.key === undefined || runningByKey(t.key) < PER_KEY || familyFor(t) !== undefined);
            expect(runnable.map((t) => t.id), `${step}: idle slot while runnable tasks wait`).toEqual([]);
          }
          expect(violations, step).toEqual([]);
          for (const t of tasks) expect(t.settledTimes).toBeLessThanOrEqual(1);
        };

        for (const [index, c] of commands.entries()) {
          const step = `#${index} ${JSON.stringify(c)}`;
          if (c.type === 'run') {
            const running = tasks.filter((t) => t.state === 'running');
            submit(c.priority, c.key, c.nested === undefined || running.length === 0 ? undefined : running[c.nested % running.length]);
          } else if (c.type === 'finish' || c.type === 'fail') {
            const running = tasks.filter((t) => t.state === 'running');
            const target = running[c.pick % Math.max(1, running.length)];
            if (c.type === 'finish') target?.gate?.resolve(target.id);
            else target?.gate?.reject(new Error(`fail ${target.id}`));
          } else if (c.type === 'abort') {
            const queued = tasks.filter((t) => t.state === 'queued');
            queued[c.pick % Math.max(1, queued.length)]?.abort.abort(new Error('aborted'));
          } else if (c.type === 'pause') {
            manager.pause();
            paused = true;
          } else if (c.type === 'resume') {
            paused = false;
            manager.resume();
          } else if (c.type === 'clear') {
            manager.clear('cleared');
          } else if (c.type === 'reprioritize') {
            const target = tasks[c.pick % Math.max(1, tasks.length)];
            if (target !== undefined) {
              const moved = manager.setPriority(`t${target.id}`, c.priority);
              expect(moved, `${step}: setPriority finds exactly the waiting tasks`).toBe(target.state === 'queued');
              if (moved) {
                target.priority = c.priority;
                target.seq = seq++;
              }
            }
          } else {
            const value = (c as { readonly value: number }).value;
            limit = value; // first: raising the limit starts tasks synchronously
            manager.concurrency = value;
          }
          await flush();
          check(step);
        }

        // FIFO within a priority, among tasks with no key and no parent (nothing else reorders them):
        // in submission order, a task moved by setPriority counting from its move.
        for (const priority of [-1, 0, 1]) {
          const plain = startOrder.filter((id) => tasks[id]?.priority === priority && tasks[id]?.key === undefined && tasks[id]?.parent === undefined);
          const queueOrder = [...plain].sort((a, b) => (tasks[a]?.seq ?? 0) - (tasks[b]?.seq ?? 0));
          expect(plain, `FIFO at priority ${priority}`).toEqual(queueOrder);
        }

        // Drain everything: every promise settles exactly once.
        manager.resume();
        paused = false;
        for (let round = 0; round < 200 && tasks.some((t) => t.state === 'running' || t.state === 'queued'); round++) {
          for (const t of tasks) if (t.state === 'running') t.gate?.resolve(t.id);
          await flush();
        }
        for (const t of tasks) {
          expect(t.state === 'fulfilled' || t.state === 'rejected', `task ${t.id} settled`).toBe(true);
          expect(t.settledTimes).toBe(1);
        }
        expect(manager.status()).toEqual({ active: 0, queued: 0, concurrency: limit, borrowed: 0, timedOut: 0 });
      }),
      { numRuns: Number(process.env['MODEL_RUNS'] ?? 300) },
    );
  });

  it('clear() settles 1 000 000 queued tasks', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1, paused: true });
    let rejected = 0;
    const count = 1_000_000;
    for (let i = 0; i < count; i++) manager.run(() => i).catch((e: unknown) => void (isQueueClearedError(e) && rejected++));
    expect(manager.clear()).toBe(count);
    await flush();
    expect(rejected).toBe(count);
    expect(manager.status()).toMatchObject({ queued: 0 });
  }, 60_000);
});
