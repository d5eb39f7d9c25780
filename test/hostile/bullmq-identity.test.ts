import { describe, expect, it } from 'vitest';
import { thumbnailProcessor } from '../../src/bullmq/index.js';
import { HOSTILE, watchProcess, safeDescribe } from './hostile.js';

watchProcess();

describe('thumbnailProcessor rethrows the retriable error itself and logs the verdict', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    const value = make();
    if (typeof value !== 'object' || value === null) continue; // primitives are wrapped in an Error by design
    it(name, async () => {
      const logs: string[] = [];
      const job = { id: 'j', data: { id: 's', batchId: 'b' }, log: (l: string) => { logs.push(l); return Promise.resolve(1); } };
      const proc = thumbnailProcessor({ generate: () => Promise.reject(value) } as never, { classifier: () => ({ retriable: true, reason: 'r' }) });
      let caught: unknown;
      try { await proc(job as never); } catch (e) { caught = e; }
      expect(caught === value, `threw ${safeDescribe(caught)}`).toBe(true);
      expect(logs.length, 'verdict log line').toBe(1);
    });
  }
});
