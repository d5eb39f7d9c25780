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
