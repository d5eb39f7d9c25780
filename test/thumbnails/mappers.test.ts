import { describe, expect, it } from 'vitest';
import { fromBackendPolygons, fromCocoSegmentation, renderThumbnail, validatePolygons } from '../../src/thumbnails/index.js';
import { decode, solid } from '../helpers/images.js';

/** pycocotools' rleToString, to build compressed fixtures. */
function cocoString(counts: number[]): string {
  let s = '';
  counts.forEach((count, i) => {
    let x = i > 2 ? count - (counts[i - 2] as number) : count;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = (c & 0x10) !== 0 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  });
  return s;
}

/** Column-major RLE counts of a mask given row-major. */
function rle(mask: number[][]): number[] {
  const height = mask.length;
  const width = (mask[0] as number[]).length;
  const counts: number[] = [];
  let value = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = (mask[y] as number[])[x] as number;
      if (v === value) run++;
      else {
        counts.push(run);
        value = v;
        run = 1;
      }
    }
  }
  counts.push(run);
  return counts;
}

describe('fromBackendPolygons', () => {
  it("maps the backend's JSON string (parent_id, partClass, numeric ids, [x,y] or {x,y} points) to valid polygons", () => {
    const stored = JSON.stringify([
      { id: 1, type: 'external', partClass: 'spheroid', points: [[0, 0], [10, 0], [10, 10], [0, 10]] },
      { id: 2, type: 'internal', parent_id: 1, points: [{ x: 3, y: 3 }, { x: 6, y: 3 }, { x: 6, y: 6 }], color: null },
      { id: 'c', points: [{ x: 20, y: 20 }, { x: 22, y: 20 }, { x: 21, y: 23 }], partClass: null },
    ]);
    const polygons = fromBackendPolygons(stored);
    expect(polygons).toEqual([
      { id: '1', type: 'external', class: 'spheroid', points: [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }, { x: 0, y: 10 }] },
      { id: '2', type: 'internal', parentId: '1', points: [{ x: 3, y: 3 }, { x: 6, y: 3 }, { x: 6, y: 6 }] },
      { id: 'c', type: 'external', points: [{ x: 20, y: 20 }, { x: 22, y: 20 }, { x: 21, y: 23 }] },
    ]);
    expect(validatePolygons(polygons, 10)).toHaveLength(3);
    expect(fromBackendPolygons(null)).toEqual([]);
    expect(() => fromBackendPolygons('{not json')).toThrow(/not valid JSON/);
  });
});

describe('fromCocoSegmentation', () => {
  it('polygon lists become external polygons', () => {
    expect(fromCocoSegmentation([[0, 0, 4, 0, 4, 4]], { class: 'cell' })).toEqual([{ type: 'external', class: 'cell', points: [{ x: 0, y: 0 }, { x: 4, y: 0 }, { x: 4, y: 4 }] }]);
  });

  it('an RLE mask (uncompressed or compressed) is traced into an outer ring and its hole', async () => {
    // A 6×6 square with a 2×2 hole, in an 8×8 mask.
    const mask = Array.from({ length: 8 }, (_, y) => Array.from({ length: 8 }, (_, x) => (x >= 1 && x <= 6 && y >= 1 && y <= 6 && !(x >= 3 && x <= 4 && y >= 3 && y <= 4) ? 1 : 0)));
    const counts = rle(mask);
    const plain = fromCocoSegmentation({ size: [8, 8], counts });
    const compressed = fromCocoSegmentation({ size: [8, 8], counts: cocoString(counts) });
    expect(compressed).toEqual(plain);
    expect(plain.map((p) => p.type)).toEqual(['external', 'internal']);
    expect(plain[1]?.parentId).toBe(plain[0]?.id);
    const xs = (plain[0]?.points ?? []).map((p) => p.x);
    expect([Math.min(...xs), Math.max(...xs)]).toEqual([1, 7]);
    // Drawn: the ring's tissue is red, the hole is not.
    const image = await solid(8, 8, [0, 0, 0], 'png');
    const out = await decode((await renderThumbnail(image, plain, { width: 8, height: 8, format: 'png', strokeWidth: 0 })).data);
    expect((out.at(1, 5) as number[])[0]).toBeGreaterThan(60);
    expect((out.at(3, 3) as number[])[0]).toBeLessThan(20);
  });

  it('a malformed RLE is an InvalidPolygonError', () => {
    expect(() => fromCocoSegmentation({ size: [2, 2], counts: [1, 9] })).toThrow(/do not fit/);
    expect(() => fromCocoSegmentation({ size: [0, 2], counts: [] })).toThrow(/not a usable mask size/);
  });
});
