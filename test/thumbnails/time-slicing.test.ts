import { describe, expect, it } from 'vitest';
import type { Polygon } from '../../src/thumbnails/index.js';
import { Budget } from '../../src/thumbnails/budget.js';
import { prepareOverlay, type Style } from '../../src/thumbnails/overlay.js';
import { drawOverlay } from '../../src/thumbnails/rasterize.js';

// A hostile contour: a zig-zag whose every edge spans the whole image, so every scanline crosses
// thousands of edges and simplification can drop nothing. Before time slicing, a 20 000-point one
// held the event loop for ~20 s in one piece.
function zigzag(points: number, size: number): Polygon {
  const pts = [];
  for (let i = 0; i < points; i++) pts.push({ x: (i / points) * size, y: i % 2 === 1 ? 0 : size });
  return { type: 'external', points: pts };
}

const style: Style = {
  external: '#FF0000',
  internal: '#0000FF',
  classes: new Map(),
  fillOpacity: 0.4,
  strokeWidth: 2,
  tolerance: 0.3,
  holeFill: undefined,
  vertexMarkers: { radius: 2, color: '#00FF00' },
  endMarkers: undefined,
};
const identity = { sx: 1, sy: 1, dx: 0, dy: 0, orientation: 1, rawWidth: 200, rawHeight: 200 };

/** Draws `polygons` on a 200×200 grey canvas, counting event-loop turns that ran meanwhile. */
async function draw(polygons: Polygon[], budget: Budget): Promise<{ data: Uint8Array; turns: number }> {
  const canvas = { data: new Uint8Array(200 * 200 * 3).fill(128), width: 200, height: 200, channels: 3 };
  let turns = 0;
  let done = false;
  const spin = (): void => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  await drawOverlay(canvas, await prepareOverlay(200, 200, polygons, identity, style, budget), style.fillOpacity, style.strokeWidth, budget);
  done = true;
  return { data: canvas.data, turns };
}

describe('thumbnail drawing is time-sliced', () => {
  const hostile: Polygon[] = [
    zigzag(2_000, 200),
    { type: 'internal', points: [{ x: 50, y: 50 }, { x: 150, y: 50 }, { x: 150, y: 150 }, { x: 50, y: 150 }] },
  ];

  it('yields to the event loop while drawing once its slice is spent', async () => {
    // A zero-length slice: every check point yields. The old synchronous drawing let no turn run.
    const { turns } = await draw(hostile, new Budget(0));
    expect(turns).toBeGreaterThan(100);
  });

  it('draws exactly the same pixels whether or not it yields', async () => {
    const sliced = await draw(hostile, new Budget(0));
    const whole = await draw(hostile, new Budget(Number.POSITIVE_INFINITY));
    expect(whole.turns).toBe(0);
    expect(Buffer.from(sliced.data).equals(Buffer.from(whole.data))).toBe(true);
    // And it did draw: the red fill and outlines tinted pixels.
    expect(sliced.data.some((v, i) => i % 3 === 0 && v > 180)).toBe(true);
  });

  it('a budget reads the clock rarely: cheap steps are batched, an expensive one is checked at once', () => {
    const budget = new Budget(0);
    for (let i = 0; i < 63; i++) expect(budget.tick()).toBeUndefined();
    expect(budget.tick()).toBeInstanceOf(Promise);
    expect(new Budget(0).tick(10_000)).toBeInstanceOf(Promise);
  });
});

describe('scanline fill against a point-in-polygon reference (random contours, crossings everywhere)', () => {
  function inside(x: number, y: number, pts: ReadonlyArray<{ x: number; y: number }>): boolean {
    let odd = false;
    for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
      const a = pts[j] as { x: number; y: number };
      const b = pts[i] as { x: number; y: number };
      if (a.y > y !== b.y > y && x < a.x + ((y - a.y) * (b.x - a.x)) / (b.y - a.y)) odd = !odd;
    }
    return odd;
  }
  /**
   * Whether (x, y) lies within 0.05 px of an edge. Away from edges the check is exact: a disc of
   * radius 0.05 around the centre is all inside or all outside, so the centre's sample line alone
   * puts coverage above 0.02 (red ≥ 5) or below 0.98 (red ≤ 250).
   */
  function onEdge(x: number, y: number, pts: ReadonlyArray<{ x: number; y: number }>): boolean {
    for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
      const a = pts[j] as { x: number; y: number };
      const b = pts[i] as { x: number; y: number };
      const vx = b.x - a.x;
      const vy = b.y - a.y;
      const len2 = vx * vx + vy * vy;
      const u = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - a.x) * vx + (y - a.y) * vy) / len2));
      if (Math.hypot(a.x + u * vx - x, a.y + u * vy - y) < 0.05) return true;
    }
    return false;
  }

  async function check(points: ReadonlyArray<{ x: number; y: number }>, sliced: boolean): Promise<void> {
    const polygon: Polygon = { type: 'external', points };
    const flatStyle: Style = { ...style, fillOpacity: 1, strokeWidth: 0, tolerance: 0, vertexMarkers: undefined };
    const canvas = { data: new Uint8Array(40 * 40 * 3), width: 40, height: 40, channels: 3 };
    const budget = new Budget(sliced ? 0 : Number.POSITIVE_INFINITY);
    const t = { ...identity, rawWidth: 40, rawHeight: 40 };
    await drawOverlay(canvas, await prepareOverlay(40, 40, [polygon], t, flatStyle, budget), 1, 0, budget);
    for (let y = 0; y < 40; y++) {
      for (let x = 0; x < 40; x++) {
        const red = canvas.data[(y * 40 + x) * 3] as number;
        if (onEdge(x + 0.5, y + 0.5, points)) continue;
        if (red === 255) expect(inside(x + 0.5, y + 0.5, points), `(${x}, ${y}) covered`).toBe(true);
        if (red === 0) expect(inside(x + 0.5, y + 0.5, points), `(${x}, ${y}) untouched`).toBe(false);
      }
    }
  }

  it('a fully covered pixel has its centre inside (even-odd), an untouched one outside', async () => {
    const fc = await import('fast-check');
    const point = fc.record({ x: fc.double({ min: -5, max: 45, noNaN: true }), y: fc.double({ min: -5, max: 45, noNaN: true }) });
    await fc.assert(
      fc.asyncProperty(fc.array(point, { minLength: 3, maxLength: 80 }), fc.boolean(), (points, sliced) => check(points, sliced)),
      { numRuns: 200 },
    );
  });

  it('stays right when hundreds of edges swap order between two sample lines (the full-sort fallback)', async () => {
    // A fan: every edge goes from the top to the mirrored place at the bottom, so all of them cross
    // near y = 20 and their order reverses there — far more shifts than the insertion sort may make.
    const points: Array<{ x: number; y: number }> = [];
    for (let i = 0; i < 150; i++) points.push(i % 2 === 0 ? { x: 0.13 + i * 0.26, y: 0.37 } : { x: 39.7 - i * 0.26, y: 39.61 });
    await check(points, false);
    await check(points, true);
  });
});
