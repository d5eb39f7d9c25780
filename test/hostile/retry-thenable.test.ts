import { describe, expect, it } from 'vitest';
import { retry } from '../../src/index.js';
import { watchProcess, settleWithin } from './hostile.js';

watchProcess();

const permanent = { classifier: () => ({ retriable: false as const, reason: 'nope' }) };

describe('permanent failure that is a thenable', () => {
  it('a thrown pending Promise: retry must reject with it, not hang', async () => {
    const thrown = new Promise(() => {});
    const r = await settleWithin(retry(() => { throw thrown; }, permanent), 1000);
    expect('hung' in r, 'retry never settled').toBe(false);
  });
  it('a thrown resolved thenable: retry must reject with the thrown object, not its resolution', async () => {
    const thrown = { then: (ok: (v: unknown) => void) => ok('swapped') };
    const r = await settleWithin(retry(() => { throw thrown; }, permanent), 1000);
    expect(r).toEqual({ ok: false, error: thrown });
  });
});
