import type { Point } from './ports.js';
import type { Budget } from './budget.js';
import { orient, type Transform } from './transform.js';

/**
 * @internal Maps points to output pixels and drops those that add nothing at that resolution: first
 * points closer than `tolerance` to the last kept one (O(n)), then Ramer-Douglas-Peucker with the same
 * tolerance. A 200 000-point contour shrinks to roughly its perimeter in output pixels.
 * Returns a flat `[x0, y0, x1, y1, …]` array.
 */
export async function mapAndSimplify(points: readonly Point[], t: Transform, tolerance: number, budget: Budget): Promise<number[]> {
  const tol2 = tolerance * tolerance;
  const flat: number[] = [];
  let lastX = Number.NaN;
  let lastY = Number.NaN;
  const n = points.length;
  for (let i = 0; i < n; i++) {
    const pause = budget.tick();
    if (pause !== undefined) await pause;
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
  return tolerance > 0 && flat.length > 6 ? await douglasPeucker(flat, tolerance, budget) : flat;
}

/** Iterative Ramer-Douglas-Peucker over a flat coordinate array. */
async function douglasPeucker(flat: number[], tolerance: number, budget: Budget): Promise<number[]> {
  const count = flat.length / 2;
  const keep = new Uint8Array(count);
  keep[0] = 1;
  keep[count - 1] = 1;
  const stack: number[] = [0, count - 1];
  const tol2 = tolerance * tolerance;
  while (stack.length > 0) {
    const last = stack.pop() as number;
    const first = stack.pop() as number;
    const pause = budget.tick(last - first);
    if (pause !== undefined) await pause;
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
