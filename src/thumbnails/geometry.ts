/** @internal Where the resized image lands in the output box. */
export interface Geometry {
  readonly resizeWidth: number;
  readonly resizeHeight: number;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** @internal Output geometry for a `w × h` (oriented) source in a `bw × bh` box. Exact, so polygons map exactly. */
export function geometryFor(w: number, h: number, bw: number, bh: number, fit: 'inside' | 'cover' | 'fill'): Geometry {
  if (fit === 'fill') return { resizeWidth: bw, resizeHeight: bh, left: 0, top: 0, width: bw, height: bh };
  if (fit === 'inside') {
    const s = Math.min(bw / w, bh / h);
    const width = Math.max(1, Math.min(bw, Math.round(w * s)));
    const height = Math.max(1, Math.min(bh, Math.round(h * s)));
    return { resizeWidth: width, resizeHeight: height, left: 0, top: 0, width, height };
  }
  const s = Math.max(bw / w, bh / h);
  const resizeWidth = Math.max(bw, Math.round(w * s));
  const resizeHeight = Math.max(bh, Math.round(h * s));
  return { resizeWidth, resizeHeight, left: Math.floor((resizeWidth - bw) / 2), top: Math.floor((resizeHeight - bh) / 2), width: bw, height: bh };
}
