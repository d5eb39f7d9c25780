import { InvalidPolygonError } from './errors/invalid-polygon-error.js';
import type { Point, Polygon } from './ports.js';

/** A point as tools write it: `{ x, y }` or `[x, y]`. */
export type PointLike = Point | readonly [number, number];

/** One polygon as the segmentation backend stores it (its `polygons` column holds a JSON array of these). */
export interface BackendPolygon {
  readonly id?: string | number;
  readonly points: readonly PointLike[];
  readonly type?: 'external' | 'internal';
  /** The external polygon this hole belongs to. */
  readonly parent_id?: string | number | null;
  /** The class (e.g. `spheroid`, `cell`): mapped to `Polygon.class`, so `colors.classes` colours it. */
  readonly partClass?: string | null;
  readonly color?: string | null;
}

/** `{ x, y }` from `{ x, y }` or `[x, y]`; anything else is passed through for validation to name. */
function toPoint(point: unknown): Point {
  if (Array.isArray(point)) return { x: point[0] as number, y: point[1] as number };
  return point as Point;
}

/**
 * Maps the segmentation backend's stored polygons — a JSON string (or the parsed array) of
 * `{ id, points: {x,y}[] | [x,y][], type: 'external' | 'internal', parent_id?, partClass?, color? }`
 * — to bulwark's {@link Polygon}s: `parent_id` → `parentId`, `partClass` → `class`, numeric ids → strings,
 * `null`s dropped, a missing `type` is `external`. Invalid JSON is an `InvalidPolygonError`; the
 * polygons themselves are validated when rendered (or lenient with `invalidPolygons: 'skip'`).
 *
 * @example
 * ```ts
 * repository: { getSegmentation: async (id) => { const row = await db.get(id); return { ...row, polygons: fromBackendPolygons(row.polygons) }; } }
 * ```
 */
export function fromBackendPolygons(stored: string | readonly BackendPolygon[] | null | undefined): Polygon[] {
  if (stored === null || stored === undefined || stored === '') return [];
  let list: unknown = stored;
  if (typeof stored === 'string') {
    try {
      list = JSON.parse(stored);
    } catch (error) {
      throw new InvalidPolygonError(-1, undefined, `polygons are not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (!Array.isArray(list)) throw new InvalidPolygonError(-1, undefined, 'polygons must be a JSON array');
  return list.map((raw: unknown, index): Polygon => {
    if (typeof raw !== 'object' || raw === null) throw new InvalidPolygonError(index, undefined, 'not an object');
    const p = raw as Record<string, unknown>;
    const id = p['id'] === undefined || p['id'] === null ? undefined : String(p['id']);
    const parent = p['parent_id'] ?? p['parentId'];
    const cls = p['partClass'] ?? p['class'];
    const points = Array.isArray(p['points']) ? (p['points'] as unknown[]).map(toPoint) : (p['points'] as never);
    return {
      ...(id === undefined ? {} : { id }),
      type: (p['type'] ?? 'external') as Polygon['type'],
      points,
      ...(parent === undefined || parent === null ? {} : { parentId: String(parent) }),
      ...(cls === undefined || cls === null ? {} : { class: String(cls) }),
      ...(p['color'] === undefined || p['color'] === null ? {} : { color: p['color'] as string }),
      ...(p['geometry'] === undefined ? {} : { geometry: p['geometry'] as NonNullable<Polygon['geometry']> }),
    };
  });
}

/** A COCO run-length-encoded mask: `counts` as numbers (uncompressed) or COCO's compressed string. */
export interface CocoRle {
  readonly size: readonly [number, number];
  readonly counts: readonly number[] | string;
}

/** A COCO annotation's `segmentation`: polygon lists `[[x1, y1, x2, y2, …], …]`, or an RLE mask. */
export type CocoSegmentation = readonly (readonly number[])[] | CocoRle;

/**
 * Maps a COCO annotation's `segmentation` to external {@link Polygon}s: each polygon list
 * `[x1, y1, x2, y2, …]` becomes one polygon; an RLE mask (uncompressed `counts`, or COCO's compressed
 * string) is decoded and each connected region's outline traced (pixel-edge outlines, holes as
 * `internal` polygons with their `parentId`). `extra` (e.g. `{ class: 'cell' }`) is added to each.
 *
 * @example
 * ```ts
 * const polygons = annotations.flatMap((a) => fromCocoSegmentation(a.segmentation, { class: categories[a.category_id] }));
 * ```
 */
export function fromCocoSegmentation(segmentation: CocoSegmentation, extra: Partial<Pick<Polygon, 'class' | 'color'>> = {}): Polygon[] {
  if (Array.isArray(segmentation)) {
    return (segmentation as readonly (readonly number[])[]).map((flat, index) => {
      if (!Array.isArray(flat) || flat.length % 2 !== 0) throw new InvalidPolygonError(index, undefined, 'a COCO polygon must be a flat [x1, y1, x2, y2, …] list');
      const points: Point[] = [];
      for (let i = 0; i < flat.length; i += 2) points.push({ x: flat[i] as number, y: flat[i + 1] as number });
      return { type: 'external', points, ...extra };
    });
  }
  const rle = segmentation as CocoRle;
  if (typeof rle !== 'object' || rle === null || !Array.isArray(rle.size) || rle.size.length !== 2) throw new InvalidPolygonError(-1, undefined, 'a COCO segmentation must be polygon lists or an RLE { size, counts }');
  const [height, width] = rle.size as [number, number];
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0 || height * width > 100_000_000) throw new InvalidPolygonError(-1, undefined, `RLE size ${JSON.stringify(rle.size)} is not a usable mask size`);
  const counts = typeof rle.counts === 'string' ? decodeCocoString(rle.counts) : rle.counts;
  // COCO masks are column-major (Fortran order).
  const mask = new Uint8Array(width * height);
  let position = 0;
  let value = 0;
  for (const run of counts) {
    if (!Number.isInteger(run) || run < 0 || position + run > mask.length) throw new InvalidPolygonError(-1, undefined, 'RLE counts do not fit the mask size');
    if (value === 1) for (let i = position; i < position + run; i++) mask[(i % height) * width + Math.floor(i / height)] = 1;
    position += run;
    value ^= 1;
  }
  return traceOutlines(mask, width, height, extra);
}

/** COCO's compressed RLE string (pycocotools `rleToString`): 5-bit groups, delta-coded after the third count. */
function decodeCocoString(text: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < text.length) {
    let x = 0;
    let k = 0;
    let more = 1;
    while (more !== 0) {
      const c = text.charCodeAt(p) - 48;
      if (Number.isNaN(c) || c < 0 || c > 63) throw new InvalidPolygonError(-1, undefined, 'RLE counts string is malformed');
      x |= (c & 0x1f) << (5 * k);
      more = c & 0x20;
      p++;
      k++;
      if (more === 0 && (c & 0x10) !== 0) x |= -1 << (5 * k);
      if (p > text.length) throw new InvalidPolygonError(-1, undefined, 'RLE counts string is truncated');
    }
    if (counts.length > 2) x += counts[counts.length - 2] as number;
    counts.push(x);
  }
  return counts;
}

/**
 * Outlines of a binary mask along pixel edges: every boundary edge is followed into closed rings;
 * a ring is external when it turns clockwise on screen (filled region on its right), internal (a
 * hole) otherwise, and each hole gets the id of the smallest external ring around it.
 */
function traceOutlines(mask: Uint8Array, width: number, height: number, extra: Partial<Pick<Polygon, 'class' | 'color'>>): Polygon[] {
  const at = (x: number, y: number): number => (x >= 0 && y >= 0 && x < width && y < height ? (mask[y * width + x] as number) : 0);
  // Directed boundary edges keyed by start vertex, keeping the filled pixel on the left.
  const next = new Map<number, number[]>();
  const key = (x: number, y: number): number => y * (width + 1) + x;
  const add = (x0: number, y0: number, x1: number, y1: number): void => {
    const k = key(x0, y0);
    const list = next.get(k);
    if (list === undefined) next.set(k, [key(x1, y1)]);
    else list.push(key(x1, y1));
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (at(x, y) !== 1) continue;
      if (at(x, y - 1) === 0) add(x + 1, y, x, y); // top edge, right to left
      if (at(x - 1, y) === 0) add(x, y, x, y + 1); // left edge, downwards
      if (at(x, y + 1) === 0) add(x, y + 1, x + 1, y + 1); // bottom edge, left to right
      if (at(x + 1, y) === 0) add(x + 1, y + 1, x + 1, y); // right edge, upwards
    }
  }
  const rings: Point[][] = [];
  for (const [start, list] of next) {
    while (list.length > 0) {
      const ring: Point[] = [];
      let current = start;
      let to = list.pop() as number;
      ring.push({ x: current % (width + 1), y: Math.floor(current / (width + 1)) });
      while (to !== start) {
        current = to;
        ring.push({ x: current % (width + 1), y: Math.floor(current / (width + 1)) });
        const options = next.get(current);
        if (options === undefined || options.length === 0) break;
        to = options.pop() as number;
      }
      if (ring.length >= 4) rings.push(dropCollinear(ring));
    }
  }
  const area = (ring: readonly Point[]): number => {
    let a = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j] as Point).x * (ring[i] as Point).y - (ring[i] as Point).x * (ring[j] as Point).y;
    return a / 2;
  };
  const inside = (p: Point, ring: readonly Point[]): boolean => {
    let hit = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const a = ring[i] as Point;
      const b = ring[j] as Point;
      if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) hit = !hit;
    }
    return hit;
  };
  // With the filled pixel on the left of each edge (y pointing down), outer rings have negative area.
  const externals = rings.filter((r) => area(r) < 0).map((points, i) => ({ id: `region-${i + 1}`, points, size: -area(points) }));
  const holes = rings.filter((r) => area(r) > 0);
  const out: Polygon[] = externals.map((e) => ({ id: e.id, type: 'external', points: e.points, ...extra }));
  for (const hole of holes) {
    const probe = { x: (hole[0] as Point).x + 0.5, y: (hole[0] as Point).y + 0.5 };
    const parent = externals.filter((e) => inside(probe, e.points)).sort((a, b) => a.size - b.size)[0];
    out.push({ type: 'internal', points: hole, ...(parent === undefined ? {} : { parentId: parent.id }), ...extra });
  }
  return out;
}

/** Drops the middle points of straight runs: a pixel outline keeps only its corners. */
function dropCollinear(ring: readonly Point[]): Point[] {
  const out: Point[] = [];
  const n = ring.length;
  for (let i = 0; i < n; i++) {
    const a = ring[(i + n - 1) % n] as Point;
    const b = ring[i] as Point;
    const c = ring[(i + 1) % n] as Point;
    if ((b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x) !== 0) out.push(b);
  }
  return out;
}
