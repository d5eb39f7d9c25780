import sharp from 'sharp';
import { writeTiff16 } from '../../demo/fixtures.mjs';
import type { Polygon } from '../../src/thumbnails/index.js';

/** A solid-colour image encoded as `format`. */
export async function solid(width: number, height: number, rgb: [number, number, number], format: 'png' | 'jpeg' | 'webp' | 'tiff' = 'png'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .toFormat(format)
    .toBuffer();
}

/** Decodes an encoded image to RGB pixels, with a pixel reader. */
export async function decode(data: Uint8Array): Promise<{ width: number; height: number; format: string; at: (x: number, y: number) => [number, number, number] }> {
  const meta = await sharp(data).metadata();
  const { data: raw, info } = await sharp(data).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    format: meta.format ?? 'unknown',
    at: (x, y) => {
      const i = (Math.round(y) * info.width + Math.round(x)) * info.channels;
      return [raw[i] as number, raw[i + 1] as number, raw[i + 2] as number];
    },
  };
}

export function square(x0: number, y0: number, x1: number, y1: number, extra: Partial<Polygon> = {}): Polygon {
  return { type: 'external', points: [{ x: x0, y: y0 }, { x: x1, y: y0 }, { x: x1, y: y1 }, { x: x0, y: y1 }], ...extra };
}

export function circle(cx: number, cy: number, r: number, n: number, extra: Partial<Polygon> = {}): Polygon {
  return { type: 'external', points: Array.from({ length: n }, (_, i) => ({ x: cx + r * Math.cos((2 * Math.PI * i) / n), y: cy + r * Math.sin((2 * Math.PI * i) / n) })), ...extra };
}

/** A 16-bit greyscale TIFF whose values only use 12 bits (0..4095), like many microscopy cameras: a ramp left to right. */
export function tiff16(width: number, height: number): Buffer {
  return writeTiff16(width, height, (x) => Math.round((x / width) * 4095));
}

/** Sets a PNG's IHDR width and height (fixing the CRC): a header claiming a pixel bomb. */
export async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const { crc32 } = await import('node:zlib');
  const png = Buffer.from(await solid(4, 4, [0, 0, 0], 'png'));
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29);
  return png;
}
