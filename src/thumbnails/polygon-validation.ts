import { InvalidPolygonError } from './errors/invalid-polygon-error.js';
import { TooManyPointsError } from './errors/too-many-points-error.js';
import { TooManyPolygonsError } from './errors/too-many-polygons-error.js';
import type { Polygon } from './ports.js';

/** `#RGB`, `#RGBA`, `#RRGGBB` or `#RRGGBBAA`: colours are parsed, never passed through as markup. */
const HEX_COLOR = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/** @internal Whether a string is an accepted colour. */
export function isColor(value: unknown): value is string {
  return typeof value === 'string' && HEX_COLOR.test(value);
}

/**
 * Checks polygons before any decoding work: an array of at most `maxPolygons` with at most
 * `maxPoints` points in total (no limit when omitted), each with a known `type`/`geometry`, enough
 * points (3 for a polygon, 2 for a polyline), finite numeric coordinates, and a valid colour. Throws a
 * typed error naming the polygon; returns the input, typed.
 */
export function validatePolygons(polygons: unknown, maxPolygons: number, maxPoints = Number.POSITIVE_INFINITY): readonly Polygon[] {
  return checkPolygons(polygons, maxPolygons, 'fail', maxPoints).polygons;
}

/** A polygon left out in lenient mode, and why. */
export interface SkippedPolygon {
  /** Its index in the input. */
  readonly index: number;
  /** Its `id`, when it has a string one. */
  readonly id: string | undefined;
  /** What was wrong, as the `InvalidPolygonError` would have said. */
  readonly reason: string;
}

/**
 * @internal Validation in either mode: `fail` throws on the first invalid polygon; `skip` leaves
 * invalid polygons out and lists them (the array itself, `maxPolygons` and `maxPoints` are still
 * enforced). Points are counted from array lengths before anything else is looked at.
 */
export function checkPolygons(
  polygons: unknown,
  maxPolygons: number,
  mode: 'fail' | 'skip',
  maxPoints = Number.POSITIVE_INFINITY,
): { readonly polygons: readonly Polygon[]; readonly skipped: readonly SkippedPolygon[] } {
  if (!Array.isArray(polygons)) throw new InvalidPolygonError(-1, undefined, 'polygons must be an array');
  if (polygons.length > maxPolygons) throw new TooManyPolygonsError(polygons.length, maxPolygons);
  let points = 0;
  for (const polygon of polygons as unknown[]) {
    const list = typeof polygon === 'object' && polygon !== null ? (polygon as { points?: unknown }).points : undefined;
    if (Array.isArray(list)) points += list.length;
  }
  if (points > maxPoints) throw new TooManyPointsError(points, maxPoints);
  if (mode === 'fail') {
    checkAll(polygons);
    return { polygons: polygons as readonly Polygon[], skipped: [] };
  }
  const kept: Polygon[] = [];
  const skipped: SkippedPolygon[] = [];
  for (let index = 0; index < polygons.length; index++) {
    try {
      checkOne(polygons[index], index);
      kept.push(polygons[index] as Polygon);
    } catch (error) {
      if (!(error instanceof InvalidPolygonError)) throw error;
      const candidate = polygons[index] as { id?: unknown } | null;
      skipped.push({ index, id: typeof candidate?.id === 'string' ? candidate.id : undefined, reason: error.problem });
    }
  }
  return { polygons: kept, skipped };
}

function checkAll(polygons: readonly unknown[]): void {
  for (let index = 0; index < polygons.length; index++) checkOne(polygons[index], index);
}

function checkOne(polygon: unknown, index: number): void {
  {
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
}

function describePoint(point: unknown): string {
  try {
    return JSON.stringify(point, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? String(point);
  } catch {
    return String(point);
  }
}
