import { clipPolyline, clipRing, type Rect } from './clip.js';
import type { Polygon } from './ports.js';
import { pointInRing, ringArea } from './rings.js';
import type { Budget } from './budget.js';
import { mapAndSimplify } from './simplify.js';
import type { Transform } from './transform.js';

/** @internal Resolved drawing style. */
export interface Style {
  readonly external: string;
  readonly internal: string;
  readonly classes: ReadonlyMap<string, string>;
  readonly fillOpacity: number;
  readonly strokeWidth: number;
  readonly tolerance: number;
  readonly holeFill: string | undefined;
  readonly vertexMarkers: { readonly radius: number; readonly color: string } | undefined;
  readonly endMarkers: { readonly radius: number; readonly color: string } | undefined;
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
  /** Tint the holes with this colour instead of leaving them cut out. */
  readonly holeColor: string | undefined;
}

/** @internal Discs of one colour and radius, at flat `[x0, y0, x1, y1, …]` points. */
export interface MarkerGroup {
  readonly color: string;
  readonly radius: number;
  readonly points: number[];
}

/** @internal Outlines of one colour: closed rings and open runs (polylines). */
export interface StrokeGroup {
  readonly color: string;
  readonly closed: number[][];
  readonly open: number[][];
}

/** @internal Everything to draw, in output pixels, in drawing order. */
export interface Overlay {
  /** The output size it was prepared for. */
  readonly width: number;
  readonly height: number;
  readonly fills: readonly FillGroup[];
  readonly strokes: readonly StrokeGroup[];
  readonly markers: readonly MarkerGroup[];
}

/**
 * @internal Maps, simplifies and clips every polygon to the `width × height` output, attaches holes
 * to their external polygon (by `parentId`, else the smallest external containing the hole), and
 * groups what to draw: one fill per external polygon (its holes cut out by even-odd within that
 * group only, so overlapping externals never cancel), then outlines grouped by colour. Polylines are
 * stroked only. Holes with no external around them are outlined, not filled.
 */
export async function prepareOverlay(width: number, height: number, polygons: readonly Polygon[], t: Transform, style: Style, budget: Budget): Promise<Overlay> {
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
    const mapped = await mapAndSimplify(polygon.points, t, style.tolerance, budget);
    if (polygon.geometry === 'polyline') {
      for (const run of clipPolyline(mapped, rect)) lines.push({ polygon, flat: run });
      continue;
    }
    // Clipping is linear in the points: give the event loop its turn first if the slice is spent.
    const pause = budget.tick(mapped.length);
    if (pause !== undefined) await pause;
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
    const pause = budget.tick(externals.length);
    if (pause !== undefined) await pause;
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
      fills.push({ color: colorOf(ring.polygon, style), rings: [ring.flat, ...(holes[i] ?? []).map((h) => h.flat)], holeColor: style.holeFill });
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
  const markers: MarkerGroup[] = [];
  if (style.vertexMarkers !== undefined) {
    // Appended one by one: `push(...flat)` of a 300 000-point ring overflowed the stack.
    const points: number[] = [];
    const add = (flat: readonly number[]): void => {
      for (const v of flat) points.push(v);
    };
    externals.forEach((ring, i) => {
      add(ring.flat);
      for (const hole of holes[i] ?? []) add(hole.flat);
    });
    for (const orphan of orphans) add(orphan.flat);
    for (const line of lines) add(line.flat);
    markers.push({ ...style.vertexMarkers, points });
  }
  if (style.endMarkers !== undefined) {
    const points: number[] = [];
    for (const line of lines) {
      const f = line.flat;
      if (f.length >= 2) points.push(f[0] as number, f[1] as number, f[f.length - 2] as number, f[f.length - 1] as number);
    }
    markers.push({ ...style.endMarkers, points });
  }
  return { width, height, fills, strokes: [...strokes.values()], markers };
}
