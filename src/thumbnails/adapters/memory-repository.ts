import { SegmentationNotFoundError } from '../errors/segmentation-not-found-error.js';
import type { SegmentationRecord, SegmentationRepository, ThumbnailInfo } from '../ports.js';

/**
 * Segmentations and their thumbnails in memory: the reference `SegmentationRepository`, used by the
 * tests and the demo. Insertion order is "oldest first".
 */
export class MemoryRepository implements SegmentationRepository {
  readonly #records = new Map<string, SegmentationRecord>();
  readonly #thumbnails = new Map<string, ThumbnailInfo>();
  /** How many times `saveThumbnail` was called per id (to check nothing is recorded twice). */
  readonly #saves = new Map<string, number>();

  constructor(records: Iterable<SegmentationRecord> = []) {
    for (const record of records) this.add(record);
  }

  /** Adds or replaces a segmentation. */
  add(record: SegmentationRecord): void {
    this.#records.set(record.id, record);
  }

  getSegmentation(id: string): Promise<SegmentationRecord | undefined> {
    const record = this.#records.get(id);
    const thumbnail = this.#thumbnails.get(id);
    return Promise.resolve(record === undefined ? undefined : thumbnail === undefined ? record : { ...record, thumbnailKey: thumbnail.key });
  }

  saveThumbnail(id: string, thumbnail: ThumbnailInfo): Promise<void> {
    if (!this.#records.has(id)) return Promise.reject(new SegmentationNotFoundError(id));
    this.#thumbnails.set(id, { ...thumbnail });
    this.#saves.set(id, (this.#saves.get(id) ?? 0) + 1);
    return Promise.resolve();
  }

  findMissingThumbnails(query: { readonly projectId: string; readonly limit: number }): Promise<{ totalImages: number; missing: number; ids: string[] }> {
    let totalImages = 0;
    let missing = 0;
    const ids: string[] = [];
    for (const record of this.#records.values()) {
      if (record.projectId !== query.projectId) continue;
      totalImages++;
      if (this.#thumbnails.has(record.id)) continue;
      missing++;
      if (ids.length < query.limit) ids.push(record.id);
    }
    return Promise.resolve({ totalImages, missing, ids });
  }

  /** Recorded thumbnails of the project, oldest first; the cursor is a position in insertion order. */
  listThumbnails(query: { readonly projectId: string; readonly limit: number; readonly after?: string }): Promise<{ items: { id: string; key: string }[]; next?: string }> {
    // Stable while records are only added.
    const start = query.after === undefined ? 0 : Number(query.after);
    const records = [...this.#records.values()];
    const items: { id: string; key: string }[] = [];
    let i = Number.isInteger(start) && start >= 0 ? start : records.length;
    for (; i < records.length && items.length < query.limit; i++) {
      const record = records[i] as SegmentationRecord;
      const thumbnail = this.#thumbnails.get(record.id);
      if (record.projectId === query.projectId && thumbnail !== undefined) items.push({ id: record.id, key: thumbnail.key });
    }
    return Promise.resolve(i < records.length ? { items, next: String(i) } : { items });
  }

  /** The recorded thumbnail of a segmentation. */
  thumbnailOf(id: string): ThumbnailInfo | undefined {
    return this.#thumbnails.get(id);
  }

  /** Forgets a thumbnail record (to simulate a lost one). */
  forgetThumbnail(id: string): void {
    this.#thumbnails.delete(id);
  }

  /** How many times a thumbnail was recorded for `id`. */
  saveCount(id: string): number {
    return this.#saves.get(id) ?? 0;
  }

  /** All segmentations, oldest first. */
  records(): SegmentationRecord[] {
    return [...this.#records.values()];
  }
}
