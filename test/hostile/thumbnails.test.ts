import { describe, expect, it } from 'vitest';
import { ThumbnailManager, createRecoveryHandler, type SegmentationRepository, type ThumbnailStorage } from '../../src/thumbnails/index.js';
import { isRetryExhaustedError } from '../../src/index.js';
import { project } from '../helpers/project.js';
import { HOSTILE, watchProcess, settleWithin, safeDescribe } from './hostile.js';

watchProcess();

type Method = 'getSegmentation' | 'saveThumbnail' | 'findMissingThumbnails' | 'put' | 'get' | 'exists';

async function setup(method: Method, value: unknown) {
  const { storage, repository, ids } = await project(2);
  const s: ThumbnailStorage = {
    put: (k, d, m) => (method === 'put' ? Promise.reject(value) : storage.put(k, d, m)),
    get: (k) => (method === 'get' ? Promise.reject(value) : storage.get(k)),
    exists: (k) => (method === 'exists' ? Promise.reject(value) : storage.exists(k)),
    delete: (k) => storage.delete(k),
  };
  const r: SegmentationRepository = {
    getSegmentation: (id) => (method === 'getSegmentation' ? Promise.reject(value) : repository.getSegmentation(id)),
    saveThumbnail: (id, t) => (method === 'saveThumbnail' ? Promise.reject(value) : repository.saveThumbnail(id, t)),
    findMissingThumbnails: (q) => (method === 'findMissingThumbnails' ? Promise.reject(value) : repository.findMissingThumbnails(q)),
    listThumbnails: (q) => repository.listThumbnails(q),
  };
  const manager = new ThumbnailManager({ storage: s, repository: r, concurrency: 1, retry: { maxAttempts: 2, initialDelayMs: 0 } });
  return { manager, ids };
}

describe('ThumbnailManager with hostile adapter rejections', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    for (const method of ['getSegmentation', 'get', 'put', 'saveThumbnail'] as const) {
      it(`${method} rejects with ${name}: generate + generateMany + regenerateMissing`, async () => {
        const value = make();
        const { manager, ids } = await setup(method, value);
        const g = await settleWithin(manager.generate(ids[0]!), 5000);
        if ('hung' in g) throw new Error('generate hung');
        if (g.ok) throw new Error('generate resolved');
        expect(g.error === value || isRetryExhaustedError(g.error), `generate: ${safeDescribe(g.error)}`).toBe(true);
        const many = await settleWithin(manager.generateMany(ids), 5000);
        if ('hung' in many) throw new Error('generateMany hung');
        if (!many.ok) throw new Error(`generateMany rejected: ${safeDescribe(many.error)}`);
        expect(many.value.failed.length).toBe(2);
        for (const f of many.value.failed) expect(f.error === value || isRetryExhaustedError(f.error), `many: ${safeDescribe(f.error)}`).toBe(true);
        const regen = await settleWithin(manager.regenerateMissing({ projectId: 'p1' }), 5000);
        if ('hung' in regen) throw new Error('regenerateMissing hung');
        if (!regen.ok) throw new Error(`regenerateMissing rejected: ${safeDescribe(regen.error)}`);
        for (const f of regen.value.failures) expect(typeof f.message, `message of ${name}`).toBe('string');
        const handler = createRecoveryHandler(manager, { logger: { error() {} } });
        const res = await handler(new Request('http://x/api/projects/p1/regenerate-thumbnails', { method: 'POST' }));
        expect(res.status).toBe(200);
        expect(manager.concurrency.status()).toEqual({ active: 0, queued: 0, concurrency: 1, borrowed: 0, timedOut: 0 });
      });
    }
    it(`findMissingThumbnails / exists reject with ${name}: regenerateMissing and HTTP`, async () => {
      const value = make();
      const { manager } = await setup('findMissingThumbnails', value);
      const regen = await settleWithin(manager.regenerateMissing({ projectId: 'p1' }), 5000);
      if ('hung' in regen) throw new Error('hung');
      expect(!regen.ok && regen.error === value, !regen.ok ? safeDescribe(regen.error) : 'ok').toBe(true);
      const logged: unknown[] = [];
      const handler = createRecoveryHandler(manager, { logger: { error: (_m, f) => void logged.push(f.err) } });
      const res = await handler(new Request('http://x/api/projects/p1/regenerate-thumbnails', { method: 'POST' }));
      expect(res.status).toBe(500);
      expect(logged[0] === value).toBe(true);
      const { manager: m2 } = await setup('exists', value);
      await m2.generate('seg-0');
      const handler2 = createRecoveryHandler(m2, { verify: 'storage', logger: { error() {} } });
      const res2 = await handler2(new Request('http://x/api/projects/p1/regenerate-thumbnails', { method: 'POST' }));
      expect(res2.status).toBe(500);
    });
  }
});
