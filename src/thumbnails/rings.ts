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
