// Shared by the crash-safety test and the child process it kills: deterministic records, and a
// repository that persists thumbnails to a journal file (one JSON line per saveThumbnail).
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { SegmentationRecord, SegmentationRepository, ThumbnailInfo } from '../../src/thumbnails/index.js';

export const CRASH_COUNT = 40;
export const CRASH_SIZE = 768;

export function crashRecords(): SegmentationRecord[] {
  return Array.from({ length: CRASH_COUNT }, (_, i) => ({
    id: `seg-${i}`,
    projectId: 'crash',
    imageKey: `images/seg-${i}.png`,
    polygons: [
      {
        type: 'external' as const,
        points: Array.from({ length: 300 }, (_, k) => ({
          x: CRASH_SIZE / 2 + (CRASH_SIZE / 3) * Math.cos((2 * Math.PI * k) / 300) * (1 + 0.1 * Math.sin(5 * k + i)),
          y: CRASH_SIZE / 2 + (CRASH_SIZE / 3) * Math.sin((2 * Math.PI * k) / 300),
        })),
      },
    ],
  }));
}

export class JournalRepository implements SegmentationRepository {
  readonly #records: Map<string, SegmentationRecord>;
  readonly #journal: string;

  constructor(journal: string, records: SegmentationRecord[]) {
    this.#journal = journal;
    this.#records = new Map(records.map((r) => [r.id, r]));
  }

  /** The thumbnails recorded so far, last write wins. */
  thumbnails(): Map<string, ThumbnailInfo> {
    const saved = new Map<string, ThumbnailInfo>();
    if (!existsSync(this.#journal)) return saved;
    for (const line of readFileSync(this.#journal, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const { id, thumbnail } = JSON.parse(line) as { id: string; thumbnail: ThumbnailInfo };
      saved.set(id, thumbnail);
    }
    return saved;
  }

  async getSegmentation(id: string): Promise<SegmentationRecord | undefined> {
    const record = this.#records.get(id);
    const thumbnail = this.thumbnails().get(id);
    return record === undefined ? undefined : thumbnail === undefined ? record : { ...record, thumbnailKey: thumbnail.key };
  }

  async saveThumbnail(id: string, thumbnail: ThumbnailInfo): Promise<void> {
    appendFileSync(this.#journal, `${JSON.stringify({ id, thumbnail })}\n`);
  }

  async findMissingThumbnails(q: { projectId: string; limit: number }): Promise<{ totalImages: number; missing: number; ids: string[] }> {
    const saved = this.thumbnails();
    const all = [...this.#records.values()].filter((r) => r.projectId === q.projectId);
    const missing = all.filter((r) => !saved.has(r.id));
    return { totalImages: all.length, missing: missing.length, ids: missing.slice(0, q.limit).map((r) => r.id) };
  }
}
