import { MemoryRepository, MemoryStorage, type SegmentationRecord, type ThumbnailStorage } from '../../src/thumbnails/index.js';
import { solid, square } from './images.js';

/** A project of `count` segmented 400×400 grey images, each with one square polygon. */
export async function project(count: number, projectId = 'p1'): Promise<{ storage: MemoryStorage; repository: MemoryRepository; ids: string[] }> {
  const storage = new MemoryStorage();
  const repository = new MemoryRepository();
  const image = await solid(400, 400, [128, 128, 128], 'png');
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `seg-${i}`;
    const record: SegmentationRecord = { id, projectId, imageKey: `images/${projectId}/${id}.png`, polygons: [square(100, 100, 300, 300, { id: 'cell' })] };
    await storage.put(record.imageKey, image, { contentType: 'image/png' });
    repository.add(record);
    ids.push(id);
  }
  return { storage, repository, ids };
}

/** Wraps a storage so `put` fails with `code` for the calls `shouldFail(callIndex, key)` picks. */
export function faultyPuts(inner: ThumbnailStorage, shouldFail: (call: number, key: string) => boolean, code = 'EBUSY'): ThumbnailStorage & { putCalls: number; active: number; peak: number } {
  const wrapper = {
    putCalls: 0,
    active: 0,
    peak: 0,
    async put(key: string, data: Uint8Array, meta: { contentType: string }): Promise<void> {
      const call = wrapper.putCalls++;
      wrapper.active++;
      wrapper.peak = Math.max(wrapper.peak, wrapper.active);
      try {
        await new Promise((resolve) => setImmediate(resolve));
        if (shouldFail(call, key)) throw Object.assign(new Error(`${code}: resource busy or locked, open '${key}'`), { code, syscall: 'open' });
        await inner.put(key, data, meta);
      } finally {
        wrapper.active--;
      }
    },
    get: (key: string) => inner.get(key),
    exists: (key: string) => inner.exists(key),
    delete: (key: string) => inner.delete?.(key) ?? Promise.resolve(),
  };
  return wrapper;
}
