import { describe, expect, it } from 'vitest';
import { retry, RetryService, BatchProcessor } from '../../src/index.js';
import { revoked, watchProcess, safeDescribe } from './hostile.js';

watchProcess();

describe('permanent verdict on a revoked Proxy', () => {
  it('retry rejects with the proxy itself', async () => {
    const value = revoked();
    let caught: unknown;
    try {
      await retry(() => { throw value; }, { classifier: () => ({ retriable: false, reason: 'nope' }) });
    } catch (e) {
      caught = e;
    }
    expect(caught === value, `got ${safeDescribe(caught)}`).toBe(true);
  });
  it('RetryService.execute, unknownErrorVerdict permanent', async () => {
    const value = revoked();
    const svc = new RetryService({ unknownErrorVerdict: { retriable: false, reason: 'unknown' } });
    let caught: unknown;
    try {
      await svc.execute(() => { throw value; });
    } catch (e) {
      caught = e;
    }
    expect(caught === value, `got ${safeDescribe(caught)}`).toBe(true);
  });
  it('BatchProcessor with retry: failed[].error is the proxy', async () => {
    const value = revoked();
    const p = new BatchProcessor({ retry: { classifier: () => ({ retriable: false, reason: 'nope' }) } });
    const report = await p.process([1], () => { throw value; });
    expect(report.failed[0]!.error === value, `got ${safeDescribe(report.failed[0]!.error)}`).toBe(true);
  });
});
