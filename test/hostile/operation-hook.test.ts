import { describe, expect, it } from 'vitest';
import { BatchProcessor, ConcurrencyManager } from '../../src/index.js';
import { ThumbnailManager } from '../../src/thumbnails/index.js';
import { project } from '../helpers/project.js';
import { watchProcess, settleWithin, safeDescribe } from './hostile.js';

watchProcess();

describe('BatchProcessor `operation` hook failing', () => {
  it('a throwing operation hook rejects process() and leaks the shared manager slot', async () => {
    const manager = new ConcurrencyManager({ concurrency: 1 });
    const p = new BatchProcessor({ concurrency: manager, retry: { maxAttempts: 1 }, operation: () => { throw new Error('naming failed'); } });
    const r = await settleWithin(p.process(['a', 'b'], (x) => x), 2000);
    const after = manager.status();
    const next = await settleWithin(manager.run(() => 'next'), 1000);
    expect({ r: 'hung' in r ? 'hung' : r.ok ? 'resolved' : `rejected: ${safeDescribe(r.error)}`, after, next }).toEqual({
      r: 'resolved',
      after: { active: 0, queued: 0, concurrency: 1, borrowed: 0, timedOut: 0 },
      next: { ok: true, value: 'next' },
    });
  });
  it('ThumbnailManager.generateMany with a non-string id (Symbol / null-prototype object)', async () => {
    const { storage, repository, ids } = await project(1);
    const thumbnails = new ThumbnailManager({ storage, repository, concurrency: 1 });
    const r = await settleWithin(thumbnails.generateMany([Symbol('bad') as never, ids[0]!]), 3000);
    const status = thumbnails.concurrency.status();
    const g = await settleWithin(thumbnails.generate(ids[0]!), 3000);
    expect({
      r: 'hung' in r ? 'hung' : r.ok ? `resolved failed=${r.value.failed.length} ok=${r.value.succeeded}` : `rejected: ${safeDescribe(r.error)}`,
      status,
      g: 'hung' in g ? 'hung' : g.ok ? 'ok' : `rejected: ${safeDescribe(g.error)}`,
    }).toEqual({ r: 'resolved failed=1 ok=1', status: { active: 0, queued: 0, concurrency: 1, borrowed: 0, timedOut: 0 }, g: 'ok' });
  });
});
