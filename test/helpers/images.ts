import sharp from 'sharp';
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

/**
 * A 16-bit greyscale TIFF whose values only use 12 bits (0..4095), like many microscopy cameras.
 * Written by hand (uncompressed, one strip): sharp's TIFF writer would store it as 8-bit.
 */
export function tiff16(width: number, height: number): Buffer {
  const entries: Array<[tag: number, type: 3 | 4, value: number]> = [];
  const pixels = width * height * 2;
  const ifdOffset = 8;
  const count = 9;
  const dataOffset = ifdOffset + 2 + count * 12 + 4;
  entries.push([256, 4, width], [257, 4, height], [258, 3, 16], [259, 3, 1], [262, 3, 1], [273, 4, dataOffset], [277, 3, 1], [278, 4, height], [279, 4, pixels]);
  const out = Buffer.alloc(dataOffset + pixels);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(ifdOffset, 4);
  out.writeUInt16LE(count, ifdOffset);
  entries.forEach(([tag, type, value], i) => {
    const at = ifdOffset + 2 + i * 12;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(1, at + 4);
    if (type === 3) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(value, at + 8);
  });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.writeUInt16LE(Math.round((x / width) * 4095), dataOffset + (y * width + x) * 2);
  return out;
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
