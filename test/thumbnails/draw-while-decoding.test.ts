import { describe, expect, it } from 'vitest';
import type { Polygon } from '../../src/thumbnails/index.js';
import { Budget } from '../../src/thumbnails/budget.js';
import { prepareOverlay, type Overlay, type Style } from '../../src/thumbnails/overlay.js';
import { drawOverlay, type Canvas } from '../../src/thumbnails/rasterize.js';
import { deferred } from '../helpers/deferred.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

// The overlay is drawn while sharp still decodes and resizes the image (the canvas is a promise), and
// blended in when the pixels arrive. These check that this changes no pixel, that the work really
// happens before the pixels are there, that memory stays bounded, and that failures surface.

failOnUnhandledRejection(); // "nothing is left unhandled", checked after every test

const style: Style = {
  external: '#FF0000',
  internal: '#0000FF',
  classes: new Map([['nucleus', '#00FF0080']]),
  fillOpacity: 0.4,
  strokeWidth: 2,
  tolerance: 0.3,
  holeFill: '#0000FF',
  vertexMarkers: { radius: 1.5, color: '#FFFF00' },
  endMarkers: { radius: 3, color: '#FF00FF' },
};
const SIZE = 120;
const identity = { sx: 1, sy: 1, dx: 0, dy: 0, orientation: 1, rawWidth: SIZE, rawHeight: SIZE };

function circle(cx: number, cy: number, r: number, n: number): Array<{ x: number; y: number }> {
  return Array.from({ length: n }, (_, i) => ({ x: cx + r * Math.cos((2 * Math.PI * i) / n), y: cy + r * Math.sin((2 * Math.PI * i) / n) }));
}

/** Overlapping objects with holes, classes, a polyline: every kind of layer, in several colours. */
const polygons: Polygon[] = [
  { id: 'a', type: 'external', points: circle(40, 40, 30, 60) },
  { type: 'internal', parentId: 'a', points: circle(35, 35, 10, 20) },
  { type: 'internal', parentId: 'a', points: circle(45, 40, 10, 20) },
  { id: 'b', type: 'external', class: 'nucleus', points: circle(70, 60, 35, 80) },
  { type: 'external', points: [{ x: 10, y: 100 }, { x: 110, y: 90 }, { x: 60, y: 118 }] },
  { type: 'external', geometry: 'polyline', points: [{ x: 5, y: 5 }, { x: 115, y: 30 }, { x: 100, y: 115 }] },
];

function grey(): Canvas {
  const data = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251; // not flat: a wrong blend order shows
  return { data, width: SIZE, height: SIZE, channels: 3 };
}

/** A budget that counts the work it was told about; by default it never yields. */
class CountingBudget extends Budget {
  work = 0;
  constructor(sliceMs = Number.POSITIVE_INFINITY) {
    super(sliceMs);
  }
  override tick(work = 1): Promise<void> | undefined {
    this.work += work;
    return super.tick(work);
  }
}

async function overlayOf(list: readonly Polygon[]): Promise<Overlay> {
  return prepareOverlay(SIZE, SIZE, list, identity, style, new Budget());
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('drawing while the pixels are still coming', () => {
  it('draws exactly the pixels it draws on a canvas that is already there', async () => {
    const overlay = await overlayOf(polygons);
    const direct = grey();
    await drawOverlay(direct, overlay, style.fillOpacity, style.strokeWidth, new Budget());
    const later = grey();
    const pending = deferred<Canvas>();
    const drawing = drawOverlay(pending.promise, overlay, style.fillOpacity, style.strokeWidth, new Budget());
    await turns(3);
    pending.resolve(later);
    await drawing;
    expect(Buffer.from(later.data).equals(Buffer.from(direct.data))).toBe(true);
    // And it drew something: many pixels differ from the untouched canvas.
    const untouched = grey().data;
    expect(later.data.filter((v, i) => v !== untouched[i]).length).toBeGreaterThan(3000);
  });

  it('does all its drawing before the pixels arrive', async () => {
    const overlay = await overlayOf(polygons);
    const whole = new CountingBudget();
    await drawOverlay(grey(), overlay, style.fillOpacity, style.strokeWidth, whole);
    const early = new CountingBudget();
    const pending = deferred<Canvas>();
    let done = false;
    const drawing = drawOverlay(pending.promise, overlay, style.fillOpacity, style.strokeWidth, early).then(() => (done = true));
    await turns(3);
    expect(done).toBe(false); // it waits for the pixels …
    expect(early.work).toBe(whole.work); // … with all the rasterising already done
    expect(whole.work).toBeGreaterThan(100);
    pending.resolve(grey());
    await drawing;
    expect(done).toBe(true);
  });

  it('stores at most about one pair per pixel, then waits for the pixels (memory stays bounded)', async () => {
    // Twenty objects each covering the whole canvas: 20 × 14 400 pairs if nothing bounded them.
    const square = (i: number): Polygon => ({ type: 'external', points: [{ x: -5 - i, y: -5 }, { x: SIZE + 5, y: -5 }, { x: SIZE + 5, y: SIZE + 5 }, { x: -5, y: SIZE + 5 }] });
    const big = Array.from({ length: 20 }, (_, i) => square(i));
    const overlay = await overlayOf(big);
    const whole = new CountingBudget();
    const direct = grey();
    await drawOverlay(direct, overlay, style.fillOpacity, style.strokeWidth, whole);
    const early = new CountingBudget();
    const pending = deferred<Canvas>();
    const later = grey();
    const drawing = drawOverlay(pending.promise, overlay, style.fillOpacity, style.strokeWidth, early);
    await turns(3);
    // Stopped after two or three full layers, far from the end.
    expect(early.work).toBeLessThan(whole.work / 4);
    expect(early.work).toBeGreaterThan(0);
    pending.resolve(later);
    await drawing;
    expect(early.work).toBe(whole.work);
    expect(Buffer.from(later.data).equals(Buffer.from(direct.data))).toBe(true);
  });

  it('on a large canvas stores at most 2^18 pairs, even within one layer, then blends as it goes', async () => {
    // 1000 × 1000: one filled square covers a million pixels, four times the cap, in a single layer.
    const side = 1000;
    const square: Polygon = { type: 'external', points: [{ x: 10, y: 10 }, { x: 990, y: 10 }, { x: 990, y: 990 }, { x: 10, y: 990 }] };
    const t = { ...identity, rawWidth: side, rawHeight: side };
    const flat: Style = { ...style, strokeWidth: 0, vertexMarkers: undefined, endMarkers: undefined };
    const overlay = await prepareOverlay(side, side, [square], t, flat, new Budget());
    const blank = (): Canvas => ({ data: new Uint8Array(side * side * 3).fill(100), width: side, height: side, channels: 3 });
    const whole = new CountingBudget();
    const direct = blank();
    await drawOverlay(direct, overlay, 0.5, 0, whole);
    const early = new CountingBudget();
    const pending = deferred<Canvas>();
    const later = blank();
    const drawing = drawOverlay(pending.promise, overlay, 0.5, 0, early);
    await turns(3);
    expect(early.work).toBeLessThan(whole.work);
    pending.resolve(later);
    await drawing;
    expect(early.work).toBe(whole.work);
    expect(Buffer.from(later.data).equals(Buffer.from(direct.data))).toBe(true);
    expect(later.data[(500 * side + 500) * 3]).toBe(178); // 100 + (255 − 100) × 0.5, rounded
  });

  it('pixels arriving in the middle of a long, time-sliced drawing: the same pixels', async () => {
    const overlay = await overlayOf(polygons);
    const direct = grey();
    await drawOverlay(direct, overlay, style.fillOpacity, style.strokeWidth, new Budget());
    for (const wait of [0, 1, 2, 5, 10, 20, 40]) {
      const later = grey();
      const pending = deferred<Canvas>();
      setImmediateN(wait, () => pending.resolve(later));
      await drawOverlay(pending.promise, overlay, style.fillOpacity, style.strokeWidth, new Budget(0)); // yields at every check
      expect(Buffer.from(later.data).equals(Buffer.from(direct.data)), `pixels after ${wait} turns`).toBe(true);
    }
  });

  it('concurrent, interleaved draws of one size each get the pixels they get alone (working buffers are reused, never shared)', async () => {
    const overlays = await Promise.all([polygons, polygons.slice(0, 2), polygons.slice(3), [polygons[3] as Polygon]].map((list) => overlayOf(list)));
    const alone: Uint8Array[] = [];
    for (const overlay of overlays) {
      const canvas = grey();
      await drawOverlay(canvas, overlay, style.fillOpacity, style.strokeWidth, new Budget());
      alone.push(canvas.data);
    }
    for (let round = 0; round < 3; round++) {
      // Budget(0) yields at every check, so the four draws interleave step by step; half of them
      // wait for their pixels, as in a render.
      const canvases = overlays.map(() => grey());
      await Promise.all(
        overlays.map((overlay, i) => {
          const canvas = canvases[i] as Canvas;
          const target = i % 2 === 0 ? canvas : new Promise<Canvas>((resolve) => setImmediateN(7 * i + round, () => resolve(canvas)));
          return drawOverlay(target, overlay, style.fillOpacity, style.strokeWidth, new Budget(0));
        }),
      );
      canvases.forEach((canvas, i) => expect(Buffer.from(canvas.data).equals(Buffer.from(alone[i] as Uint8Array)), `overlay ${i}, round ${round}`).toBe(true));
    }
  });

  it('a decode failure rejects the drawing with that error, and nothing is left unhandled', async () => {
    const overlay = await overlayOf(polygons);
    const pending = deferred<Canvas>();
    const failure = new Error('corrupt image');
    const drawing = drawOverlay(pending.promise, overlay, style.fillOpacity, style.strokeWidth, new Budget(0));
    pending.reject(failure); // while it is still rasterising (it yields at every check)
    await expect(drawing).rejects.toBe(failure);
  });

  it('a decode failure stops the drawing at its next check, not after the whole overlay', async () => {
    const overlay = await overlayOf(polygons);
    const whole = new CountingBudget();
    await drawOverlay(grey(), overlay, style.fillOpacity, style.strokeWidth, whole);
    // Yields at every clock read (slice 0), so the rejection is seen with most of the work still to do.
    const early = new CountingBudget(0);
    const pending = deferred<Canvas>();
    const failure = new Error('corrupt image');
    const drawing = drawOverlay(pending.promise, overlay, style.fillOpacity, style.strokeWidth, early);
    await turns(2);
    pending.reject(failure);
    await expect(drawing).rejects.toBe(failure);
    expect(early.work).toBeLessThan(whole.work / 4);
  });

  it('draws on a canvas whose bytes come from another realm (a thenable test, not instanceof)', async () => {
    const { runInNewContext } = await import('node:vm');
    const overlay = await overlayOf(polygons);
    const direct = grey();
    await drawOverlay(direct, overlay, style.fillOpacity, style.strokeWidth, new Budget());
    const foreign = grey();
    const data = runInNewContext(`new Uint8Array(${foreign.data.length})`) as Uint8Array;
    data.set(foreign.data);
    await drawOverlay({ ...foreign, data }, overlay, style.fillOpacity, style.strokeWidth, new Budget());
    expect(Buffer.from(data).equals(Buffer.from(direct.data))).toBe(true);
  });

  it('vertex markers on a 300 000-point ring: drawn, not a stack overflow', async () => {
    const n = 300_000;
    // The radius alternates by ±2 px, so simplification keeps every point.
    const ring = Array.from({ length: n }, (_, i) => ({ x: 500 + (400 + (i % 2 === 0 ? 2 : -2)) * Math.cos((2 * Math.PI * i) / n), y: 500 + (400 + (i % 2 === 0 ? 2 : -2)) * Math.sin((2 * Math.PI * i) / n) }));
    const t = { ...identity, rawWidth: 1000, rawHeight: 1000 };
    const overlay = await prepareOverlay(1000, 1000, [{ type: 'external', points: ring }], t, { ...style, vertexMarkers: { radius: 1, color: '#FFFF00' } }, new Budget());
    expect(overlay.markers[0]?.points.length).toBeGreaterThan(200_000);
  });

  it('a pending canvas that turns out not to be one is refused, not silently skipped', async () => {
    // Twenty full-canvas layers: the store fills, and each row waited for the "canvas" again.
    const square: Polygon = { type: 'external', points: [{ x: -5, y: -5 }, { x: SIZE + 5, y: -5 }, { x: SIZE + 5, y: SIZE + 5 }, { x: -5, y: SIZE + 5 }] };
    const overlay = await overlayOf(Array.from({ length: 20 }, () => square));
    for (const wrong of [undefined, null, 42, { width: SIZE, height: SIZE, channels: 3 }]) {
      await expect(drawOverlay(Promise.resolve(wrong as unknown as Canvas), overlay, 0.4, 2, new Budget()), String(wrong)).rejects.toThrow(TypeError);
    }
  });

  it('a canvas of another size than the overlay is refused, not drawn out of bounds', async () => {
    const overlay = await overlayOf(polygons);
    const small: Canvas = { data: new Uint8Array(10 * 10 * 3), width: 10, height: 10, channels: 3 };
    await expect(drawOverlay(Promise.resolve(small), overlay, 0.4, 2, new Budget())).rejects.toThrow(RangeError);
    await expect(drawOverlay(small, overlay, 0.4, 2, new Budget())).rejects.toThrow(/120×120, the canvas 10×10/);
  });
});

function setImmediateN(n: number, fn: () => void): void {
  if (n === 0) fn();
  else setImmediate(() => setImmediateN(n - 1, fn));
}
