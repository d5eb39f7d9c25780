// Synthetic microscopy: bright irregular spheroids with dark necrotic holes and small cells on a noisy
// background, with their segmentation polygons. Seeded, so every run makes the same batch.
import sharp from 'sharp';
import { encodeBmp } from './fixtures.mjs';
import { prng, writeTiff16 } from './fixtures.mjs';

export { prng };

function blob(random, cx, cy, radius, irregularity) {
  const phases = [random() * 6.28, random() * 6.28, random() * 6.28];
  const amps = [irregularity * (0.5 + random()), irregularity * 0.6 * random(), irregularity * 0.4 * random()];
  return (theta) => radius * (1 + amps[0] * Math.sin(3 * theta + phases[0]) + amps[1] * Math.sin(5 * theta + phases[1]) + amps[2] * Math.sin(7 * theta + phases[2]));
}

function contour(cx, cy, r, points) {
  return Array.from({ length: points }, (_, i) => {
    const theta = (2 * Math.PI * i) / points;
    const rr = r(theta);
    return { x: cx + rr * Math.cos(theta), y: cy + rr * Math.sin(theta) };
  });
}

/**
 * One image: `size`×`size` greyscale pixels and its polygons (source-pixel coordinates).
 * About 20 polygons of 100-300 points: a spheroid with 1-3 holes, plus small cells.
 */
export function makeSample(index, size = 1024) {
  const random = prng(1000 + index);
  const pixels = new Uint8Array(size * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = 25 + Math.floor(random() * 30);
  const polygons = [];
  const shapes = [];

  const R = size * (0.18 + random() * 0.12);
  const cx = size / 2 + (random() - 0.5) * size * 0.2;
  const cy = size / 2 + (random() - 0.5) * size * 0.2;
  const outer = blob(random, cx, cy, R, 0.08);
  polygons.push({ id: 'spheroid', type: 'external', class: 'spheroid', points: contour(cx, cy, outer, 300) });
  shapes.push({ cx, cy, r: outer, value: 190 });
  const holes = 1 + Math.floor(random() * 3);
  for (let h = 0; h < holes; h++) {
    const hr = R * (0.1 + random() * 0.15);
    const angle = random() * 6.28;
    const dist = R * 0.45 * random();
    const hx = cx + Math.cos(angle) * dist;
    const hy = cy + Math.sin(angle) * dist;
    const hole = blob(random, hx, hy, hr, 0.05);
    polygons.push({ type: 'internal', parentId: 'spheroid', points: contour(hx, hy, hole, 120) });
    shapes.push({ cx: hx, cy: hy, r: hole, value: 60 });
  }
  const cells = 14 + Math.floor(random() * 6);
  for (let c = 0; c < cells; c++) {
    const cr = size * (0.012 + random() * 0.02);
    let x;
    let y;
    do {
      x = cr + random() * (size - 2 * cr);
      y = cr + random() * (size - 2 * cr);
    } while (Math.hypot(x - cx, y - cy) < R * 1.4);
    const cell = blob(random, x, y, cr, 0.15);
    polygons.push({ type: 'external', class: 'cell', points: contour(x, y, cell, 100 + Math.floor(random() * 200)) });
    shapes.push({ cx: x, cy: y, r: cell, value: 150 });
  }
  // Paint shapes in order (holes after their spheroid), with texture. The radius is sampled into a
  // table, and most pixels are decided by distance alone (inside the smallest or outside the largest radius).
  for (const shape of shapes) {
    const table = Float64Array.from({ length: 720 }, (_, i) => shape.r((i / 720) * 2 * Math.PI - Math.PI));
    let rMin = Infinity;
    let rMax = 0;
    for (const r of table) {
      rMin = Math.min(rMin, r);
      rMax = Math.max(rMax, r);
    }
    const x0 = Math.max(0, Math.floor(shape.cx - rMax));
    const x1 = Math.min(size - 1, Math.ceil(shape.cx + rMax));
    const y0 = Math.max(0, Math.floor(shape.cy - rMax));
    const y1 = Math.min(size - 1, Math.ceil(shape.cy + rMax));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const dx = x - shape.cx;
        const dy = y - shape.cy;
        const d2 = dx * dx + dy * dy;
        if (d2 > rMax * rMax) continue;
        if (d2 > rMin * rMin) {
          const r = table[Math.min(719, Math.floor(((Math.atan2(dy, dx) + Math.PI) / (2 * Math.PI)) * 720))];
          if (d2 > r * r) continue;
        }
        pixels[y * size + x] = Math.min(255, shape.value + Math.floor(random() * 40) - 20);
      }
    }
  }
  return { pixels, size, polygons };
}

/** 16-bit greyscale TIFF (12 bits used). */
export function tiff16(pixels, size) {
  return writeTiff16(size, size, (x, y) => pixels[y * size + x] * 16);
}

/** Encodes a sample in the format its index picks: mostly PNG and JPEG, some 16-bit TIFF and BMP. */
export async function encodeSample(index, sample, format) {
  const { pixels, size } = sample;
  const kind = format ?? (index % 23 === 5 ? 'tiff16' : index % 29 === 7 ? 'bmp' : index % 2 === 0 ? 'png' : 'jpeg');
  if (kind === 'tiff16') return { kind, data: tiff16(pixels, size) };
  if (kind === 'bmp') return { kind, data: encodeBmp({ data: pixels, width: size, height: size, channels: 1 }) };
  const image = sharp(pixels, { raw: { width: size, height: size, channels: 1 } });
  return { kind, data: await (kind === 'png' ? image.png({ compressionLevel: 3 }) : image.jpeg({ quality: 90 })).toBuffer() };
}
