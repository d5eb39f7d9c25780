import { describe, expect, it } from 'vitest';
import { classifiedProcessor, thumbnailProcessor, bulwarkBackoff } from '../../src/bullmq/index.js';
import { HOSTILE, watchProcess, safeDescribe } from './hostile.js';

watchProcess();

const fakeJob = () => ({ id: 'j1', data: { id: 'seg-1', batchId: 'b' }, logs: [] as string[], log(line: string) { this.logs.push(line); return Promise.resolve(1); } });

/** Runs a processor whose work rejects with `value`: whatever it throws, never a TypeError of its own. */
async function expectNoOwnTypeError(label: string, value: unknown, build: (value: unknown) => (job: never) => Promise<unknown>): Promise<void> {
  let caught: unknown;
  try {
    await build(value)(fakeJob() as never);
  } catch (e) {
    caught = e;
  }
  let isTypeError = false;
  try { isTypeError = caught !== value && caught instanceof TypeError; } catch { /* */ }
  expect(isTypeError, `${label} threw its own ${safeDescribe(caught)}`).toBe(false);
}

describe('BullMQ adapters with hostile thrown values', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    for (const permanent of [false, true]) {
      const classifier = () => ({ retriable: !permanent, reason: 'test' });
      it(`thumbnailProcessor: generate rejects with ${name} (${permanent ? 'permanent' : 'retriable'})`, () =>
        expectNoOwnTypeError('thumbnailProcessor', make(), (value) => thumbnailProcessor({ generate: () => Promise.reject(value) } as never, { classifier })));
      it(`classifiedProcessor: ${name} (${permanent ? 'permanent' : 'retriable'})`, () =>
        expectNoOwnTypeError('classifiedProcessor', make(), (value) => classifiedProcessor(() => Promise.reject(value), { classifier })));
    }
    it(`bulwarkBackoff(${name})`, () => {
      const value = make();
      const b = bulwarkBackoff({ onHookError: () => {} });
      expect(() => b(1, 'bulwark', value as Error)).not.toThrow();
    });
  }
});
