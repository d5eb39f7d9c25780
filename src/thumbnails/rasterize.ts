import type { Budget } from './budget.js';
import type { Overlay } from './overlay.js';

/** @internal An 8-bit interleaved image being drawn on in place (the resized thumbnail). */
export interface Canvas {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** @internal `#RGB`, `#RGBA`, `#RRGGBB`, `#RRGGBBAA` → `[r, g, b, a]` with `a` in 0..1. */
export function parseColor(hex: string): [number, number, number, number] {
  let h = hex.slice(1);
  if (h.length <= 4) h = [...h].map((c) => c + c).join('');
  const n = (i: number): number => Number.parseInt(h.slice(i, i + 2), 16);
  return [n(0), n(2), n(4), h.length === 8 ? n(6) / 255 : 1];
}

/** Vertical samples per pixel row for fills; horizontal coverage is exact. */
const SUBSAMPLES = 5;

interface Edge {
  x0: number;
  y0: number;
  y1: number;
  /** dx/dy */
  slope: number;
  /** 0 for the outer ring (even-odd); +1/-1 for a hole edge going down/up (winding, for the union of holes). */
  wind: number;
  /** Where the edge crosses the current sample line (kept up to date while the edge is active). */
  x: number;
}

/** Twice the signed area of a flat ring (its orientation). */
function orientation(ring: readonly number[]): number {
  let area = 0;
  const n = ring.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) area += (ring[j * 2] as number) * (ring[i * 2 + 1] as number) - (ring[i * 2] as number) * (ring[j * 2 + 1] as number);
  return area;
}

function byX(a: Edge, b: Edge): number {
  return a.x - b.x;
}

/**
 * The pixels a drawing step touched, per row (`from[y]..to[y]`, empty when `to[y] < from[y]`) within
 * rows `top..bottom`: blending visits only those, not the bounding box of everything of one colour.
 * One per `drawOverlay`, emptied again by `blend`.
 */
class Touched {
  readonly from: Int32Array;
  readonly to: Int32Array;
  top: number;
  bottom = -1;
  readonly #width: number;

  constructor(width: number, height: number) {
    this.#width = width;
    this.from = new Int32Array(height).fill(width);
    this.to = new Int32Array(height).fill(-1);
    this.top = height;
  }

  /** Marks `x0..x1` of row `y` (already clipped to the canvas). */
  add(y: number, x0: number, x1: number): void {
    if (x0 < (this.from[y] as number)) this.from[y] = x0;
    if (x1 > (this.to[y] as number)) this.to[y] = x1;
    if (y < this.top) this.top = y;
    if (y > this.bottom) this.bottom = y;
  }

  /** Forgets row `y` (after it was blended). */
  clear(y: number): void {
    this.from[y] = this.#width;
    this.to[y] = -1;
  }

  /** Forgets every row. */
  reset(): void {
    this.from.fill(this.#width);
    this.to.fill(-1);
    this.top = this.from.length;
    this.bottom = -1;
  }
}

/**
 * One draw's working buffers, reused by later draws of the same size. They are ArrayBuffers, which V8
 * counts against the old generation's limit until its next full collection: fresh ones for every image
 * (~0.6 MB for a 300² thumbnail) set off a full garbage collection every ~15 images at concurrency 5
 * (230 PNGs through `FileSystemStorage`: 8–14 of them, 54–60 ms of CPU per image; reused: none, 38–44).
 */
class Scratch {
  readonly coverage: Float32Array;
  /** Full pixels inside a span, as +1/-1 at its ends: summed once per row by `fillObject`. */
  readonly interior: Int32Array;
  readonly touched: Touched;
  /** Stored (pixel, coverage) pairs of `Layers`, grown as needed. */
  pixels = new Int32Array(0);
  values = new Float32Array(0);

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.coverage = new Float32Array(width * height);
    this.interior = new Int32Array(width + 1);
    this.touched = new Touched(width, height);
  }

  get bytes(): number {
    return this.coverage.byteLength + this.interior.byteLength + this.touched.from.byteLength * 2 + this.pixels.byteLength + this.values.byteLength;
  }

  /** Clears what a draw leaves set (a finished draw leaves nothing; this does not rely on it). */
  reset(): void {
    this.coverage.fill(0);
    this.interior.fill(0);
    this.touched.reset();
  }
}

/** At most this many bytes of scratch buffers are kept between draws. */
const MAX_SPARE_BYTES = 8 << 20;
const spares: Scratch[] = [];
let spareBytes = 0;

function scratchFor(width: number, height: number): Scratch {
  const i = spares.findIndex((s) => s.width === width && s.height === height);
  if (i === -1) return new Scratch(width, height);
  const scratch = spares.splice(i, 1)[0] as Scratch;
  spareBytes -= scratch.bytes;
  scratch.reset();
  return scratch;
}

function release(scratch: Scratch): void {
  const bytes = scratch.bytes;
  if (bytes > MAX_SPARE_BYTES) return;
  while (spareBytes + bytes > MAX_SPARE_BYTES) spareBytes -= (spares.shift() as Scratch).bytes;
  spares.push(scratch);
  spareBytes += bytes;
}

/**
 * Fills one object — `rings[0]` its outer contour, the rest its holes — anti-aliased, into `coverage`
 * (0..1 per pixel, `width × height`), touching only the box it covers; widens `box` to it.
 * The outer contour fills with the even-odd rule (a self-intersecting contour's overlaps are cut, the
 * documented rule); the holes are subtracted **as a union** (nonzero winding over holes all turned
 * the same way), so where two holes overlap the overlap stays cut out. A scanline rasteriser with an
 * active-edge list: cost grows with edges crossing each row, not with all edges. Span ends get their
 * exact partial coverage; span interiors are counted per sample line in a difference array and summed
 * once per row, so a large object costs a pass per row rather than one per sample line.
 */
async function fillObject(rings: readonly number[][], width: number, height: number, scratch: Scratch, budget: Budget, holesOnly = false): Promise<void> {
  const { coverage, touched, interior } = scratch;
  const edges: Edge[] = [];
  let minY = Infinity;
  let maxY = -Infinity;
  let minX = Infinity;
  let maxX = -Infinity;
  for (let r = 0; r < rings.length; r++) {
    const ring = rings[r] as number[];
    const n = ring.length / 2;
    // Holes all counted the same way round, whatever their stored orientation.
    if (holesOnly && r === 0) continue;
    const sign = r === 0 ? 0 : orientation(ring) >= 0 ? 1 : -1;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const pause = budget.tick();
      if (pause !== undefined) await pause;
      const ax = ring[j * 2] as number;
      const ay = ring[j * 2 + 1] as number;
      const bx = ring[i * 2] as number;
      const by = ring[i * 2 + 1] as number;
      if (ay === by) continue;
      const top = ay < by;
      const wind = sign * (top ? 1 : -1);
      const e: Edge = top ? { x0: ax, y0: ay, y1: by, slope: (bx - ax) / (by - ay), wind, x: ax } : { x0: bx, y0: by, y1: ay, slope: (ax - bx) / (ay - by), wind, x: bx };
      edges.push(e);
      if (e.y0 < minY) minY = e.y0;
      if (e.y1 > maxY) maxY = e.y1;
      if (ax < minX) minX = ax;
      if (ax > maxX) maxX = ax;
    }
  }
  const rowStart = Math.max(0, Math.floor(minY));
  const rowEnd = Math.min(height - 1, Math.ceil(maxY));
  if (edges.length === 0 || rowStart > rowEnd || maxX < 0 || minX >= width) return;
  // Edges bucketed by their first row (a linear counting sort: one `sort()` of 100 000 edges held the
  // event loop for ~100 ms in one piece). An edge waits in `pending` until its first sample line.
  const rowCount = rowEnd - rowStart + 1;
  const bucketHead = new Int32Array(rowCount).fill(-1);
  const bucketNext = new Int32Array(edges.length);
  for (let i = 0; i < edges.length; i++) {
    const b = Math.min(rowCount - 1, Math.max(0, Math.floor((edges[i] as Edge).y0) - rowStart));
    bucketNext[i] = bucketHead[b] as number;
    bucketHead[b] = i;
  }
  // Lists with explicit counts (no `length` writes in the inner loop).
  const pending: Edge[] = [];
  let pendingCount = 0;
  // The active edges, kept sorted by their crossing `x`: from one sample line to the next the order
  // barely changes (only where edges cross), so an insertion sort is ~linear and allocates nothing.
  const active: Edge[] = [];
  let activeCount = 0;
  const xs: number[] = [];
  const weight = 1 / SUBSAMPLES;
  for (let row = rowStart; row <= rowEnd; row++) {
    const base = row * width;
    for (let i = bucketHead[row - rowStart] as number; i !== -1; i = bucketNext[i] as number) pending[pendingCount++] = edges[i] as Edge;
    let spanFrom = width;
    let spanTo = -1;
    let rowFrom = width;
    let rowTo = -1;
    for (let s = 0; s < SUBSAMPLES; s++) {
      const pause = budget.tick(activeCount + 1);
      if (pause !== undefined) await pause;
      const sy = row + (s + 0.5) * weight;
      if (pendingCount > 0) {
        let waiting = 0;
        for (let i = 0; i < pendingCount; i++) {
          const e = pending[i] as Edge;
          if (e.y0 <= sy) active[activeCount++] = e;
          else pending[waiting++] = e;
        }
        pendingCount = waiting;
      }
      if (activeCount === 0) continue;
      let kept = 0;
      for (let i = 0; i < activeCount; i++) {
        const e = active[i] as Edge;
        if (e.y1 <= sy) continue;
        e.x = e.x0 + (sy - e.y0) * e.slope;
        active[kept++] = e;
      }
      activeCount = kept;
      // Usually nearly sorted already: an insertion sort, abandoned for a full sort once it has
      // shifted more than a few times the count (new edges in any order, many edges crossing on one
      // line): never quadratic.
      let budgetShifts = 4 * kept + 64;
      for (let i = 1; i < kept && budgetShifts >= 0; i++) {
        const e = active[i] as Edge;
        let k = i;
        while (k > 0 && (active[k - 1] as Edge).x > e.x) {
          active[k] = active[k - 1] as Edge;
          k--;
          budgetShifts--;
        }
        active[k] = e;
      }
      if (budgetShifts < 0) {
        active.length = kept;
        active.sort(byX);
      }
      // Spans where the point is inside the outer contour (parity) and inside no hole (winding 0).
      let xsCount = 0;
      let outer = false;
      let holes = 0;
      let open = false;
      for (let i = 0; i < kept; i++) {
        const c = active[i] as Edge;
        if (c.wind === 0) outer = !outer;
        else holes += c.wind;
        const inside = holesOnly ? holes !== 0 : outer && holes === 0;
        if (inside !== open) {
          xs[xsCount++] = c.x;
          open = inside;
        }
      }
      for (let k = 0; k + 1 < xsCount; k += 2) {
        const xa = Math.max(0, xs[k] as number);
        const xb = Math.min(width, xs[k + 1] as number);
        if (xb <= xa) continue;
        const ia = Math.floor(xa);
        const ib = Math.floor(xb);
        if (ia < rowFrom) rowFrom = ia;
        if (ib > rowTo) rowTo = ib;
        if (ia === ib) {
          coverage[base + ia] = (coverage[base + ia] as number) + (xb - xa) * weight;
          continue;
        }
        coverage[base + ia] = (coverage[base + ia] as number) + (ia + 1 - xa) * weight;
        if (ib > ia + 1) {
          interior[ia + 1] = (interior[ia + 1] as number) + 1;
          interior[ib] = (interior[ib] as number) - 1;
          if (ia + 1 < spanFrom) spanFrom = ia + 1;
          if (ib > spanTo) spanTo = ib;
        }
        if (ib < width) coverage[base + ib] = (coverage[base + ib] as number) + (xb - ib) * weight;
      }
    }
    if (spanTo >= 0) {
      let run = 0;
      for (let x = spanFrom; x <= spanTo; x++) {
        run += interior[x] as number;
        interior[x] = 0;
        if (run !== 0) coverage[base + x] = (coverage[base + x] as number) + run * weight;
      }
    }
    if (rowTo >= 0) touched.add(row, rowFrom, rowTo < width ? rowTo : width - 1);
  }
}

/** Longest piece a segment is cut into before its bounding box is scanned (keeps diagonals cheap). */
const PIECE = 12;

/**
 * Strokes polylines (closing rings) `strokeWidth` wide with round joins and caps, anti-aliased: each
 * pixel gets the coverage of the nearest segment (a union of capsules, so joins never double up).
 */
async function strokeSegments(paths: readonly number[][], closed: boolean, strokeWidth: number, width: number, height: number, coverage: Float32Array, touched: Touched, budget: Budget): Promise<void> {
  const r = strokeWidth / 2;
  const reach = r + 1;
  // A pixel centre farther than this from the segment gets no coverage: compared squared, no root.
  const outside2 = (r + 0.5) * (r + 0.5);
  for (const flat of paths) {
    const n = flat.length / 2;
    const segments = closed ? n : n - 1;
    for (let i = 0; i < segments; i++) {
      const ax0 = flat[i * 2] as number;
      const ay0 = flat[i * 2 + 1] as number;
      const j = (i + 1) % n;
      const bx0 = flat[j * 2] as number;
      const by0 = flat[j * 2 + 1] as number;
      const length = Math.hypot(bx0 - ax0, by0 - ay0);
      const pieces = Math.max(1, Math.ceil(length / PIECE));
      for (let p = 0; p < pieces; p++) {
        const pause = budget.tick(8);
        if (pause !== undefined) await pause;
        const ax = ax0 + ((bx0 - ax0) * p) / pieces;
        const ay = ay0 + ((by0 - ay0) * p) / pieces;
        const bx = ax0 + ((bx0 - ax0) * (p + 1)) / pieces;
        const by = ay0 + ((by0 - ay0) * (p + 1)) / pieces;
        const vx = bx - ax;
        const vy = by - ay;
        const len2 = vx * vx + vy * vy;
        const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - reach));
        const x1 = Math.min(width - 1, Math.ceil(Math.max(ax, bx) + reach));
        const y0 = Math.max(0, Math.floor(Math.min(ay, by) - reach));
        const y1 = Math.min(height - 1, Math.ceil(Math.max(ay, by) + reach));
        if (x1 < x0 || y1 < y0) continue;
        for (let y = y0; y <= y1; y++) touched.add(y, x0, x1);
        const inverse = len2 === 0 ? 0 : 1 / len2;
        for (let y = y0; y <= y1; y++) {
          const py = y + 0.5 - ay;
          for (let x = x0; x <= x1; x++) {
            const px = x + 0.5 - ax;
            let t = (px * vx + py * vy) * inverse;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            const dx = px - t * vx;
            const dy = py - t * vy;
            const d2 = dx * dx + dy * dy;
            if (d2 >= outside2) continue;
            const c = r + 0.5 - Math.sqrt(d2);
            const idx = y * width + x;
            const v = c >= 1 ? 1 : c;
            if (v > (coverage[idx] as number)) coverage[idx] = v;
          }
        }
      }
    }
  }
}

/** At most this many pixel/coverage pairs (8 bytes each) are kept while the pixels are still coming. */
const MAX_STORED = 1 << 18;

/** A layer's colour: `alpha` is its opacity times the colour's own alpha. */
interface Paint {
  readonly r: number;
  readonly g: number;
  readonly b: number;
  readonly alpha: number;
}

/** Blends `(r, g, b)` at `coverage × alpha` over the pixel at byte offset `o`. */
function mix(data: Uint8Array, o: number, coverage: number, r: number, g: number, b: number, alpha: number): void {
  const k = (coverage >= 1 ? 1 : coverage) * alpha;
  // Values stay within 0..255, so `(v + 0.5) | 0` is Math.round, without the call.
  const d0 = data[o] as number;
  const d1 = data[o + 1] as number;
  const d2 = data[o + 2] as number;
  data[o] = (d0 + (r - d0) * k + 0.5) | 0;
  data[o + 1] = (d1 + (g - d1) * k + 0.5) | 0;
  data[o + 2] = (d2 + (b - d2) * k + 0.5) | 0;
}

/**
 * Where each finished layer (one colour's coverage) goes, in drawing order: blended into the canvas
 * once its pixels are there; until then kept as (pixel, coverage) pairs, so the drawing runs while
 * sharp is still decoding and resizing the image. The pixels come out the same either way: the same
 * blends, in the same order, with the same coverage values. At most `min(width × height, 2¹⁸)` pairs
 * are kept (then the drawing waits for the pixels and blends as it goes), and the work is time-sliced
 * like the rest of the drawing, so neither memory nor event-loop time grows with the canvas. If the
 * pixels fail, the budget is stopped with their error, so the drawing ends at its next check.
 */
class Layers {
  #canvas: Canvas | undefined;
  /** What the pending target resolved to (boxed: a wrong value must still count as arrived). */
  #arrived: { readonly canvas: Canvas } | undefined;
  readonly #target: Canvas | PromiseLike<Canvas>;
  readonly #cap: number;
  readonly #scratch: Scratch;
  readonly #budget: Budget;
  #count = 0;
  /** The stored runs of pairs, in order: where each ends, and its paint. */
  readonly #runs: Array<{ readonly end: number; readonly paint: Paint }> = [];

  constructor(target: Canvas | PromiseLike<Canvas>, scratch: Scratch, budget: Budget) {
    const { width, height } = scratch;
    this.#target = target;
    this.#scratch = scratch;
    this.#budget = budget;
    // A row always fits, so a row is never split.
    this.#cap = Math.max(Math.min(width * height, MAX_STORED), width);
    if (scratch.pixels.length === 0) this.#grow(Math.min(this.#cap, 32768)); // a typical overlay: 20 000–30 000 pairs
    if (isPending(target)) {
      target.then(
        (canvas) => (this.#arrived = { canvas }),
        (error: unknown) => budget.stop(error),
      );
    } else this.#canvas = this.#check(target);
  }

  /**
   * Takes one layer: `color × opacity × coverage` over the touched pixels. Clears their coverage (and
   * `touched`); blends at once if the canvas is there, else stores the pairs (waiting for the canvas
   * when the store is full).
   */
  async take(color: string, opacity: number): Promise<void> {
    const { coverage, touched, width, height } = this.#scratch;
    const [r, g, b, a] = parseColor(color);
    const alpha = a * opacity;
    const paint: Paint = { r, g, b, alpha };
    for (let y = touched.top; y <= touched.bottom; y++) {
      const to = touched.to[y] as number;
      const from = touched.from[y] as number;
      if (to < from) continue;
      const pause = this.#budget.tick(1 + ((to - from) >> 6));
      if (pause !== undefined) await pause;
      touched.clear(y);
      const start = y * width + from;
      const end = y * width + to;
      const length = to - from + 1;
      let canvas = this.#current(paint);
      if (canvas === undefined && this.#count + length > this.#cap) {
        // The store is full: wait for the pixels, and blend what is stored first (this layer's pairs
        // too: a pixel is in a layer once, so their order within it does not matter).
        this.#arrived ??= { canvas: await this.#target };
        canvas = this.#current(paint);
      }
      if (canvas !== undefined) {
        const { data, channels } = canvas;
        for (let idx = start; idx <= end; idx++) {
          const c = coverage[idx] as number;
          if (c === 0) continue;
          coverage[idx] = 0;
          mix(data, idx * channels, c, r, g, b, alpha);
        }
        continue;
      }
      if (this.#count + length > this.#scratch.pixels.length) this.#grow(this.#count + length);
      const { pixels, values } = this.#scratch;
      let count = this.#count;
      for (let idx = start; idx <= end; idx++) {
        const c = coverage[idx] as number;
        if (c === 0) continue;
        coverage[idx] = 0;
        pixels[count] = idx;
        values[count++] = c;
      }
      this.#count = count;
    }
    touched.top = height;
    touched.bottom = -1;
    this.#close(paint);
    this.#current(paint);
  }

  /** Waits for the canvas (if it is still coming) and blends everything stored. */
  async settle(): Promise<void> {
    if (this.#canvas !== undefined) return; // then nothing is stored
    this.#arrived ??= { canvas: await this.#target };
    this.#current(undefined);
  }

  /** The canvas if it is here, everything stored blended into it first; else `undefined`. */
  #current(paint: Paint | undefined): Canvas | undefined {
    if (this.#canvas !== undefined || this.#arrived === undefined) return this.#canvas;
    const canvas = this.#check(this.#arrived.canvas);
    if (paint !== undefined) this.#close(paint);
    this.#paint(canvas);
    this.#canvas = canvas;
    return canvas;
  }

  /** Ends the current run of pairs (the layer being taken, or its part so far). */
  #close(paint: Paint): void {
    if (this.#count > (this.#runs.at(-1)?.end ?? 0)) this.#runs.push({ end: this.#count, paint });
  }

  #check(canvas: Canvas): Canvas {
    if (typeof canvas !== 'object' || canvas === null || !(ArrayBuffer.isView(canvas.data) && canvas.data.BYTES_PER_ELEMENT === 1)) throw new TypeError(`Expected a canvas (width, height, channels and 8-bit data), got ${canvas === null ? 'null' : typeof canvas}`);
    const { width, height } = this.#scratch;
    if (canvas.width !== width || canvas.height !== height) throw new RangeError(`Overlay is ${width}×${height}, the canvas ${canvas.width}×${canvas.height}`);
    return canvas;
  }

  #grow(needed: number): void {
    const scratch = this.#scratch;
    let size = Math.max(scratch.pixels.length * 2, 1024);
    while (size < needed) size *= 2;
    size = Math.min(size, this.#cap);
    const pixels = new Int32Array(size);
    pixels.set(scratch.pixels.subarray(0, this.#count));
    const values = new Float32Array(size);
    values.set(scratch.values.subarray(0, this.#count));
    scratch.pixels = pixels;
    scratch.values = values;
  }

  /** Blends the stored runs in order, and forgets them. */
  #paint(canvas: Canvas): void {
    const { data, channels } = canvas;
    const { pixels, values } = this.#scratch;
    let i = 0;
    for (const { end, paint } of this.#runs) {
      const { r, g, b, alpha } = paint;
      for (; i < end; i++) mix(data, (pixels[i] as number) * channels, values[i] as number, r, g, b, alpha);
    }
    this.#runs.length = 0;
    this.#count = 0;
  }
}

/** Whether the canvas is still coming (a promise or any thenable) rather than here. */
function isPending(target: Canvas | PromiseLike<Canvas>): target is PromiseLike<Canvas> {
  return typeof (target as Partial<PromiseLike<Canvas>>).then === 'function';
}

/**
 * @internal Draws an overlay onto the canvas in place: each object's fill (holes cut as a union), then
 * each stroke colour on top. Pure JavaScript on thumbnail-sized data, which is faster here than
 * rendering an SVG with librsvg and compositing it (the whole overlay of ~20 polygons costs about a
 * millisecond). The canvas may still be coming (sharp decoding and resizing the image): the drawing
 * starts at once and is blended in when the pixels arrive.
 */
export async function drawOverlay(target: Canvas | PromiseLike<Canvas>, overlay: Overlay, fillOpacity: number, strokeWidth: number, budget: Budget): Promise<void> {
  const { width, height } = overlay;
  const scratch = scratchFor(width, height);
  const { coverage, touched } = scratch;
  const layers = new Layers(target, scratch, budget);
  for (const fill of overlay.fills) {
    await fillObject(fill.rings, width, height, scratch, budget);
    await layers.take(fill.color, fillOpacity);
    if (fill.holeColor !== undefined && fill.rings.length > 1) {
      await fillObject(fill.rings, width, height, scratch, budget, true);
      await layers.take(fill.holeColor, fillOpacity);
    }
  }
  for (const stroke of overlay.strokes) {
    await strokeSegments(stroke.closed, true, strokeWidth, width, height, coverage, touched, budget);
    await strokeSegments(stroke.open, false, strokeWidth, width, height, coverage, touched, budget);
    await layers.take(stroke.color, 1);
  }
  for (const marker of overlay.markers) {
    const dots: number[][] = [];
    for (let i = 0; i + 1 < marker.points.length; i += 2) dots.push([marker.points[i] as number, marker.points[i + 1] as number, marker.points[i] as number, marker.points[i + 1] as number]);
    await strokeSegments(dots, false, marker.radius * 2, width, height, coverage, touched, budget);
    await layers.take(marker.color, 1);
  }
  await layers.settle();
  release(scratch); // kept for the next draw; a failed draw's buffers are dropped
}
