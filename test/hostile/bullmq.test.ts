import { describe, expect, it } from 'vitest';
import { classifiedProcessor, thumbnailProcessor, bulwarkBackoff } from '../../src/bullmq/index.js';
import { HOSTILE, watchProcess, safeDescribe } from './hostile.js';

watchProcess();

const fakeJob = () => ({ id: 'j1', data: { id: 'seg-1', batchId: 'b' }, logs: [] as string[], log(line: string) { this.logs.push(line); return Promise.resolve(1); } });

describe('BullMQ adapters with hostile thrown values', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    for (const permanent of [false, true]) {
      const classifier = () => ({ retriable: !permanent, reason: 'test' });
      it(`thumbnailProcessor: generate rejects with ${name} (${permanent ? 'permanent' : 'retriable'})`, async () => {
        const value = make();
        const proc = thumbnailProcessor({ generate: () => Promise.reject(value) } as never, { classifier });
        let caught: unknown;
        try {
          await proc(fakeJob() as never);
        } catch (e) {
          caught = e;
        }
        let isTypeError = false;
        try { isTypeError = caught !== value && caught instanceof TypeError; } catch { /* */ }
        expect(isTypeError, `thumbnailProcessor threw its own ${safeDescribe(caught)}`).toBe(false);
      });
      it(`classifiedProcessor: ${name} (${permanent ? 'permanent' : 'retriable'})`, async () => {
        const value = make();
        const proc = classifiedProcessor(() => Promise.reject(value), { classifier });
        let caught: unknown;
        try {
          await proc(fakeJob() as never);
        } catch (e) {
          caught = e;
        }
        let isTypeError = false;
        try { isTypeError = caught !== value && caught instanceof TypeError; } catch { /* */ }
        expect(isTypeError, `classifiedProcessor threw its own ${safeDescribe(caught)}`).toBe(false);
      });
    }
    it(`bulwarkBackoff(${name})`, () => {
      const value = make();
      const b = bulwarkBackoff({ onHookError: () => {} });
      expect(() => b(1, 'bulwark', value as Error)).not.toThrow();
    });
  }
});
