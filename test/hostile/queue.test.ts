import { describe, expect, it } from 'vitest';
import { MemoryJobSource, QueueProcessor } from '../../src/queue/index.js';
import { HOSTILE, watchProcess, settleWithin, safeDescribe } from './hostile.js';

watchProcess();

async function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return cond();
}

describe('QueueProcessor with hostile thrown values', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    for (const permanent of [false, true]) {
      it(`handler throws ${name} (${permanent ? 'classifier: permanent' : 'default classifier'})`, async () => {
        const value = make();
        const source = new MemoryJobSource<number>();
        source.add(1);
        const events: string[] = [];
        const w = new QueueProcessor(source, () => { throw value; }, {
          maxDeliveries: 1,
          pollIntervalMs: 5,
          retry: { maxAttempts: 2, initialDelayMs: 0, ...(permanent ? { classifier: () => ({ retriable: false, reason: 'p' }) } : {}) },
          onHookError: () => {},
        });
        w.on('dead-lettered', (e) => void events.push(`dead:${e.reason}`));
        w.on('retry-later', () => void events.push('retry-later'));
        w.on('settle-failed', () => void events.push('settle-failed'));
        const n = await settleWithin(w.runOnce(), 3000);
        expect('hung' in n, 'runOnce hung').toBe(false);
        expect(events.length, `events: ${events.join(',')} | runOnce: ${!('hung' in n) && !n.ok ? safeDescribe(n.error) : 'ok'}`).toBe(1);
        expect(source.deadLettered.length).toBe(1);
        expect(w.metrics().inFlight).toBe(0);
      });
    }
    // Each run waits out the worker's real backoff after a failed pull (~1.5 s): a representative few.
    it.runIf(['revokedProxy', 'trapProxy', 'messageGetter', 'nullProto', 'symbol'].includes(name))(`source methods reject with ${name}`, async () => {
      const value = make();
      const inner = new MemoryJobSource<number>();
      inner.add(1);
      inner.add(2);
      let pulls = 0;
      const source = {
        pull: (max: number, o: { leaseMs: number }) => (++pulls === 1 ? Promise.reject(value) : inner.pull(max, o)),
        ack: () => Promise.reject(value),
        retryLater: () => Promise.reject(value),
        deadLetter: () => Promise.reject(value),
        extend: () => Promise.reject(value),
        release: () => Promise.reject(value),
      };
      const events: string[] = [];
      const w = new QueueProcessor(source, (p) => { if (p === 2) throw new Error('fail'); return p; }, {
        pollIntervalMs: 5,
        sourceTimeoutMs: 50,
        leaseMs: 100,
        retry: { maxAttempts: 1 },
        onHookError: () => {},
      });
      w.on('source-error', () => void events.push('source-error'));
      w.on('settle-failed', (e) => void events.push(`settle-failed:${e.action}`));
      w.on('lease-lost', () => void events.push('lease-lost'));
      const running = w.start();
      const ok = await until(() => events.filter((e) => e.startsWith('settle-failed')).length >= 2, 8000);
      const stopped = await settleWithin(w.stop({ timeoutMs: 100 }), 3000);
      await settleWithin(running, 1000);
      expect(ok, events.join(',')).toBe(true);
      expect(events[0]).toBe('source-error');
      expect('hung' in stopped).toBe(false);
    }, 20000);
  }
});
