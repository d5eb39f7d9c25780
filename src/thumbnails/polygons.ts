import { InvalidPolygonError } from '../errors/invalid-polygon-error.js';
import { TooManyPolygonsError } from '../errors/too-many-polygons-error.js';
import type { Point, Polygon } from './ports.js';

/** `#RGB`, `#RGBA`, `#RRGGBB` or `#RRGGBBAA`: colours are parsed, never passed through as markup. */
const HEX_COLOR = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/** @internal Whether a string is an accepted colour. */
export function isColor(value: unknown): value is string {
  return typeof value === 'string' && HEX_COLOR.test(value);
}

/**
 * Checks polygons before any decoding work: an array of at most `maxPolygons`, each with a known
 * `type`/`geometry`, enough points (3 for a polygon, 2 for a polyline), finite numeric coordinates,
 * and a valid colour. Throws a typed error naming the polygon; returns the input, typed.
 */
export function validatePolygons(polygons: unknown, maxPolygons: number): readonly Polygon[] {
  if (!Array.isArray(polygons)) throw new InvalidPolygonError(-1, undefined, 'polygons must be an array');
  if (polygons.length > maxPolygons) throw new TooManyPolygonsError(polygons.length, maxPolygons);
  for (let index = 0; index < polygons.length; index++) {
    const polygon: unknown = polygons[index];
    if (typeof polygon !== 'object' || polygon === null) throw new InvalidPolygonError(index, undefined, 'not an object');
    const p = polygon as Record<string, unknown>;
    const id = typeof p['id'] === 'string' ? p['id'] : undefined;
    const fail = (problem: string): never => {
      throw new InvalidPolygonError(index, id, problem);
    };
    if (p['id'] !== undefined && typeof p['id'] !== 'string') fail('`id` must be a string');
    if (p['type'] !== 'external' && p['type'] !== 'internal') fail(`\`type\` must be "external" or "internal", got ${JSON.stringify(p['type'])}`);
    const geometry = p['geometry'] ?? 'polygon';
    if (geometry !== 'polygon' && geometry !== 'polyline') fail(`\`geometry\` must be "polygon" or "polyline", got ${JSON.stringify(geometry)}`);
    if (p['parentId'] !== undefined && typeof p['parentId'] !== 'string') fail('`parentId` must be a string');
    if (p['class'] !== undefined && typeof p['class'] !== 'string') fail('`class` must be a string');
    if (p['color'] !== undefined && !isColor(p['color'])) fail(`\`color\` must be a hex colour like "#FF0000", got ${JSON.stringify(p['color'])}`);
    const points = p['points'];
    if (!Array.isArray(points)) fail('`points` must be an array');
    const min = geometry === 'polyline' ? 2 : 3;
    if ((points as unknown[]).length < min) fail(`a ${geometry as string} needs at least ${min} points, got ${(points as unknown[]).length}`);
    for (let i = 0; i < (points as unknown[]).length; i++) {
      const point = (points as unknown[])[i] as { x?: unknown; y?: unknown } | null;
      const x = point?.x;
      const y = point?.y;
      if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y)) {
        fail(`point ${i} must have finite numeric x and y, got ${describePoint(point)}`);
      }
    }
  }
  return polygons as readonly Polygon[];
}

function describePoint(point: unknown): string {
  try {
    return JSON.stringify(point, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? String(point);
  } catch {
    return String(point);
  }
}

/** @internal An affine map from source to output pixels: `X = x * sx - dx`, `Y = y * sy - dy`. */
export interface Transform {
  readonly sx: number;
  readonly sy: number;
  readonly dx: number;
  readonly dy: number;
  /** EXIF orientation (1-8) to apply first, for polygons given in raw (stored) pixel coordinates. */
  readonly orientation: number;
  /** The raw (stored) image size, needed by `orientation`. */
  readonly rawWidth: number;
  readonly rawHeight: number;
}

/** @internal Maps a raw (stored-orientation) point to the displayed orientation, per EXIF 1-8. */
export function orient(x: number, y: number, orientation: number, w: number, h: number): [number, number] {
  switch (orientation) {
    case 2:
      return [w - x, y];
    case 3:
      return [w - x, h - y];
    case 4:
      return [x, h - y];
    case 5:
      return [y, x];
    case 6:
      return [h - y, x];
    case 7:
      return [h - y, w - x];
    case 8:
      return [y, w - x];
    default:
      return [x, y];
  }
}

/**
 * @internal Maps points to output pixels and drops those that add nothing at that resolution: first
 * points closer than `tolerance` to the last kept one (O(n)), then Ramer-Douglas-Peucker with the same
 * tolerance. A 200 000-point contour shrinks to roughly its perimeter in output pixels.
 * Returns a flat `[x0, y0, x1, y1, …]` array.
 */
export function mapAndSimplify(points: readonly Point[], t: Transform, tolerance: number): number[] {
  const tol2 = tolerance * tolerance;
  const flat: number[] = [];
  let lastX = Number.NaN;
  let lastY = Number.NaN;
  const n = points.length;
  for (let i = 0; i < n; i++) {
    const p = points[i] as Point;
    let x = p.x;
    let y = p.y;
    if (t.orientation !== 1) [x, y] = orient(x, y, t.orientation, t.rawWidth, t.rawHeight);
    x = x * t.sx - t.dx;
    y = y * t.sy - t.dy;
    const ddx = x - lastX;
    const ddy = y - lastY;
    if (i === 0 || i === n - 1 || ddx * ddx + ddy * ddy >= tol2) {
      flat.push(x, y);
      lastX = x;
      lastY = y;
    }
  }
  return tolerance > 0 && flat.length > 6 ? douglasPeucker(flat, tolerance) : flat;
}

/** Iterative Ramer-Douglas-Peucker over a flat coordinate array. */
function douglasPeucker(flat: number[], tolerance: number): number[] {
  const count = flat.length / 2;
  const keep = new Uint8Array(count);
  keep[0] = 1;
  keep[count - 1] = 1;
  const stack: number[] = [0, count - 1];
  const tol2 = tolerance * tolerance;
  while (stack.length > 0) {
    const last = stack.pop() as number;
    const first = stack.pop() as number;
    const ax = flat[first * 2] as number;
    const ay = flat[first * 2 + 1] as number;
    const bx = flat[last * 2] as number;
    const by = flat[last * 2 + 1] as number;
    const vx = bx - ax;
    const vy = by - ay;
    const len2 = vx * vx + vy * vy;
    let maxDist = -1;
    let index = -1;
    for (let i = first + 1; i < last; i++) {
      const px = (flat[i * 2] as number) - ax;
      const py = (flat[i * 2 + 1] as number) - ay;
      let d2: number;
      if (len2 === 0) d2 = px * px + py * py;
      else {
        const cross = px * vy - py * vx;
        d2 = (cross * cross) / len2;
      }
      if (d2 > maxDist) {
        maxDist = d2;
        index = i;
      }
    }
    if (index !== -1 && maxDist > tol2) {
      keep[index] = 1;
      stack.push(first, index, index, last);
    }
  }
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (keep[i] === 1) out.push(flat[i * 2] as number, flat[i * 2 + 1] as number);
  return out;
}

/** @internal An axis-aligned clip rectangle. */
export interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** @internal Sutherland-Hodgman: clips a closed ring to a rectangle (fill stays exact inside it). */
export function clipRing(flat: readonly number[], r: Rect): number[] {
  let input = flat as number[];
  const edges: Array<[(x: number, y: number) => boolean, (ax: number, ay: number, bx: number, by: number) => [number, number]]> = [
    [(x) => x >= r.x0, (ax, ay, bx, by) => [r.x0, ay + ((by - ay) * (r.x0 - ax)) / (bx - ax)]],
    [(x) => x <= r.x1, (ax, ay, bx, by) => [r.x1, ay + ((by - ay) * (r.x1 - ax)) / (bx - ax)]],
    [(_x, y) => y >= r.y0, (ax, ay, bx, by) => [ax + ((bx - ax) * (r.y0 - ay)) / (by - ay), r.y0]],
    [(_x, y) => y <= r.y1, (ax, ay, bx, by) => [ax + ((bx - ax) * (r.y1 - ay)) / (by - ay), r.y1]],
  ];
  for (const [inside, intersect] of edges) {
    const n = input.length / 2;
    if (n === 0) break;
    const output: number[] = [];
    let px = input[(n - 1) * 2] as number;
    let py = input[(n - 1) * 2 + 1] as number;
    let pIn = inside(px, py);
    for (let i = 0; i < n; i++) {
      const cx = input[i * 2] as number;
      const cy = input[i * 2 + 1] as number;
      const cIn = inside(cx, cy);
      if (cIn) {
        if (!pIn) output.push(...intersect(px, py, cx, cy));
        output.push(cx, cy);
      } else if (pIn) output.push(...intersect(px, py, cx, cy));
      px = cx;
      py = cy;
      pIn = cIn;
    }
    input = output;
  }
  return input;
}

/** @internal Liang-Barsky per segment: clips an open polyline into the runs that lie inside the rectangle. */
export function clipPolyline(flat: readonly number[], r: Rect): number[][] {
  const runs: number[][] = [];
  let run: number[] = [];
  for (let i = 0; i + 3 < flat.length; i += 2) {
    const ax = flat[i] as number;
    const ay = flat[i + 1] as number;
    const bx = flat[i + 2] as number;
    const by = flat[i + 3] as number;
    const dx = bx - ax;
    const dy = by - ay;
    let t0 = 0;
    let t1 = 1;
    let visible = true;
    for (const [p, q] of [
      [-dx, ax - r.x0],
      [dx, r.x1 - ax],
      [-dy, ay - r.y0],
      [dy, r.y1 - ay],
    ] as const) {
      if (p === 0) {
        if (q < 0) visible = false;
      } else {
        const t = q / p;
        if (p < 0) {
          if (t > t1) visible = false;
          else if (t > t0) t0 = t;
        } else if (t < t0) visible = false;
        else if (t < t1) t1 = t;
      }
    }
    if (!visible) {
      if (run.length >= 4) runs.push(run);
      run = [];
      continue;
    }
    const sx = ax + t0 * dx;
    const sy = ay + t0 * dy;
    const ex = ax + t1 * dx;
    const ey = ay + t1 * dy;
    if (run.length === 0 || t0 > 0) {
      if (run.length >= 4) runs.push(run);
      run = [sx, sy];
    }
    run.push(ex, ey);
    if (t1 < 1) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length >= 4) runs.push(run);
  return runs;
}

/** @internal Twice the signed area of a flat ring. */
export function ringArea(flat: readonly number[]): number {
  let area = 0;
  const n = flat.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    area += (flat[j * 2] as number) * (flat[i * 2 + 1] as number) - (flat[i * 2] as number) * (flat[j * 2 + 1] as number);
  }
  return area / 2;
}

/** @internal Even-odd point-in-ring test. */
export function pointInRing(x: number, y: number, flat: readonly number[]): boolean {
  let inside = false;
  const n = flat.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = flat[i * 2] as number;
    const yi = flat[i * 2 + 1] as number;
    const xj = flat[j * 2] as number;
    const yj = flat[j * 2 + 1] as number;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** @internal Resolved drawing style. */
export interface Style {
  readonly external: string;
  readonly internal: string;
  readonly classes: ReadonlyMap<string, string>;
  readonly fillOpacity: number;
  readonly strokeWidth: number;
  readonly tolerance: number;
}

function colorOf(polygon: Polygon, style: Style): string {
  if (polygon.color !== undefined) return polygon.color;
  if (polygon.class !== undefined) {
    const byClass = style.classes.get(polygon.class);
    if (byClass !== undefined) return byClass;
  }
  return polygon.type === 'internal' ? style.internal : style.external;
}

/** @internal One external polygon's fill: its ring and its holes, filled even-odd together. */
export interface FillGroup {
  readonly color: string;
  readonly rings: readonly number[][];
}

/** @internal Outlines of one colour: closed rings and open runs (polylines). */
export interface StrokeGroup {
  readonly color: string;
  readonly closed: number[][];
  readonly open: number[][];
}

/** @internal Everything to draw, in output pixels, in drawing order. */
export interface Overlay {
  readonly fills: readonly FillGroup[];
  readonly strokes: readonly StrokeGroup[];
}

/**
 * @internal Maps, simplifies and clips every polygon to the `width × height` output, attaches holes
 * to their external polygon (by `parentId`, else the smallest external containing the hole), and
 * groups what to draw: one fill per external polygon (its holes cut out by even-odd within that
 * group only, so overlapping externals never cancel), then outlines grouped by colour. Polylines are
 * stroked only. Holes with no external around them are outlined, not filled.
 */
export function prepareOverlay(width: number, height: number, polygons: readonly Polygon[], t: Transform, style: Style): Overlay {
  const margin = style.strokeWidth * 2 + 1;
  const rect: Rect = { x0: -margin, y0: -margin, x1: width + margin, y1: height + margin };
  interface Ring {
    readonly polygon: Polygon;
    readonly flat: number[];
  }
  const externals: Ring[] = [];
  const internals: Ring[] = [];
  const lines: Ring[] = [];
  for (const polygon of polygons) {
    const mapped = mapAndSimplify(polygon.points, t, style.tolerance);
    if (polygon.geometry === 'polyline') {
      for (const run of clipPolyline(mapped, rect)) lines.push({ polygon, flat: run });
      continue;
    }
    const ring = clipRing(mapped, rect);
    if (ring.length < 6) continue;
    (polygon.type === 'external' ? externals : internals).push({ polygon, flat: ring });
  }

  const holes = externals.map((): Ring[] => []);
  const orphans: Ring[] = [];
  const byId = new Map<string, number>();
  externals.forEach((ring, i) => {
    if (ring.polygon.id !== undefined && !byId.has(ring.polygon.id)) byId.set(ring.polygon.id, i);
  });
  const areas = externals.map((ring) => Math.abs(ringArea(ring.flat)));
  for (const hole of internals) {
    let parent = hole.polygon.parentId === undefined ? undefined : byId.get(hole.polygon.parentId);
    if (parent === undefined) {
      const x = hole.flat[0] as number;
      const y = hole.flat[1] as number;
      let best = Infinity;
      externals.forEach((ring, i) => {
        if ((areas[i] as number) < best && pointInRing(x, y, ring.flat)) {
          best = areas[i] as number;
          parent = i;
        }
      });
    }
    if (parent === undefined) orphans.push(hole);
    else holes[parent]?.push(hole);
  }

  const fills: FillGroup[] = [];
  if (style.fillOpacity > 0) {
    externals.forEach((ring, i) => {
      fills.push({ color: colorOf(ring.polygon, style), rings: [ring.flat, ...(holes[i] ?? []).map((h) => h.flat)] });
    });
  }
  const strokes = new Map<string, StrokeGroup>();
  const group = (color: string): StrokeGroup => {
    let g = strokes.get(color);
    if (g === undefined) {
      g = { color, closed: [], open: [] };
      strokes.set(color, g);
    }
    return g;
  };
  if (style.strokeWidth > 0) {
    externals.forEach((ring, i) => {
      group(colorOf(ring.polygon, style)).closed.push(ring.flat);
      for (const hole of holes[i] ?? []) group(colorOf(hole.polygon, style)).closed.push(hole.flat);
    });
    for (const orphan of orphans) group(colorOf(orphan.polygon, style)).closed.push(orphan.flat);
    for (const line of lines) group(colorOf(line.polygon, style)).open.push(line.flat);
  }
  return { fills, strokes: [...strokes.values()] };
}
