import { describe, expect, it } from 'vitest';
import { ConcurrencyManager, isQueueClearedError } from '../../src/index.js';
import { HOSTILE, watchProcess, settleWithin, safeDescribe } from './hostile.js';

watchProcess();

describe('ConcurrencyManager with hostile thrown values', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    it(`run rejects with ${name}; listeners throw it`, async () => {
      const value = make();
      const reported: string[] = [];
      const m = new ConcurrencyManager({ concurrency: 1, onHookError: (_e, hook) => void reported.push(hook) });
      m.on('error', () => { throw value; });
      m.on('completed', () => { throw value; });
      m.on('next', () => { throw value; });
      const a = settleWithin(m.run(() => { throw value; }));
      const b = settleWithin(m.run(async () => { throw value; }, { timeoutMs: 1000, id: 'b' }));
      const c = settleWithin(m.run(() => 'ok', { timeoutMs: 1000 }));
      const ra = await a;
      const rb = await b;
      const rc = await c;
      expect('hung' in ra || ra.ok || ra.error === value, `a: ${safeDescribe('error' in ra ? ra.error : ra)}`).toBe(true);
      expect(!('hung' in ra) && !ra.ok).toBe(true);
      expect(!('hung' in rb) && !rb.ok && rb.error === value).toBe(true);
      expect(rc).toEqual({ ok: true, value: 'ok' });
      expect(m.status()).toEqual({ active: 0, queued: 0, concurrency: 1, borrowed: 0, timedOut: 0 });
      expect(m.running()).toEqual([]);
    });
    it(`clear(${name}) on queued tasks`, async () => {
      const reason = make();
      const m = new ConcurrencyManager({ concurrency: 1 });
      let release!: () => void;
      const first = m.run(() => new Promise<void>((r) => (release = r)));
      const queued = settleWithin(m.run(() => 'never'), 1000);
      let cleared: unknown;
      let threw: unknown;
      try {
        cleared = m.clear(reason);
      } catch (e) {
        threw = e;
      }
      release();
      await first;
      const r = await queued;
      expect(threw, `clear threw ${safeDescribe(threw)}`).toBeUndefined();
      expect(cleared).toBe(1);
      expect('hung' in r, 'queued task never settled').toBe(false);
      if (!('hung' in r) && !r.ok) {
        expect(isQueueClearedError(r.error)).toBe(true);
        expect(typeof (r.error as Error).message).toBe('string');
      }
      expect(m.status().queued).toBe(0);
    });
    it(`signal aborted with ${name} while queued / running with timeoutMs`, async () => {
      const reason = make();
      const m = new ConcurrencyManager({ concurrency: 1 });
      let release!: () => void;
      const first = m.run(() => new Promise<void>((r) => (release = r)));
      const ac = new AbortController();
      const queued = settleWithin(m.run(() => 'never', { signal: ac.signal }), 1000);
      const ac2 = new AbortController();
      ac.abort(reason);
      const r = await queued;
      release();
      await first;
      const running = settleWithin(m.run(({ signal }) => new Promise((_, rej) => signal.addEventListener('abort', () => rej(signal.reason))), { signal: ac2.signal, timeoutMs: 5000 }), 1000);
      ac2.abort(reason);
      const r2 = await running;
      expect('hung' in r).toBe(false);
      expect('hung' in r2).toBe(false);
      expect(m.status()).toEqual({ active: 0, queued: 0, concurrency: 1, borrowed: 0, timedOut: 0 });
    });
  }
  it('default onHookError: error listener throws an Error whose message getter throws', async () => {
    const e = new Error('x');
    Object.defineProperty(e, 'message', { get() { throw new Error('message getter'); } });
    const m = new ConcurrencyManager();
    m.on('error', () => { throw e; });
    await m.run(() => { throw new Error('task'); }).catch(() => undefined);
  });
});
