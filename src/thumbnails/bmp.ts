import { ImageDecodeError } from './errors/image-decode-error.js';
import { ImageTooLargeError } from './errors/image-too-large-error.js';

/** A decoded bitmap: 8-bit interleaved channels, top row first. */
export interface RawImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

/** Whether the bytes start with the BMP signature `BM`. */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/**
 * Decodes an uncompressed Windows BMP (sharp/libvips cannot read BMP): 1, 4, 8-bit paletted,
 * 16, 24 and 32-bit, `BI_RGB` and `BI_BITFIELDS`, bottom-up or top-down, any header from
 * `BITMAPINFOHEADER` (40 bytes) to `BITMAPV5HEADER`. RLE-compressed and OS/2 1.x bitmaps are rejected
 * with an {@link ImageDecodeError}; more pixels than `limitInputPixels` with an {@link ImageTooLargeError},
 * checked before any allocation.
 */
export function decodeBmp(bytes: Uint8Array, limitInputPixels: number): RawImage {
  const fail = (problem: string): never => {
    throw new ImageDecodeError(`Invalid BMP: ${problem}`);
  };
  if (!isBmp(bytes)) fail('missing "BM" signature');
  if (bytes.length < 54) fail(`truncated header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixelOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (headerSize < 40) fail(`unsupported header size ${headerSize} (OS/2 1.x bitmaps are not supported)`);
  if (14 + headerSize > bytes.length) fail('truncated header');
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bpp = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) fail(`invalid dimensions ${width}x${rawHeight}`);
  if (width * height > limitInputPixels) throw new ImageTooLargeError(limitInputPixels);
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) fail(`unsupported bit depth ${bpp}`);
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    fail(`unsupported compression ${compression} (only uncompressed and bitfield BMPs are supported)`);
  }

  let masks: [number, number, number, number] | undefined;
  if (bpp === 16 || bpp === 32) {
    if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
      const at = headerSize >= 52 ? 14 + 40 : 14 + headerSize;
      const withAlpha = headerSize >= 56 || compression === BI_ALPHABITFIELDS;
      if (at + (withAlpha ? 16 : 12) > bytes.length) fail(withAlpha ? 'truncated alpha mask' : 'truncated bitfield masks');
      const alpha = withAlpha ? view.getUint32(at + 12, true) : 0;
      masks = [view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true), alpha];
    } else {
      masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0x00ff0000, 0x0000ff00, 0x000000ff, 0];
    }
  }

  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const colorsUsed = view.getUint32(46, true) || 1 << bpp;
    const start = 14 + headerSize + (compression === BI_BITFIELDS ? 12 : 0);
    if (colorsUsed > 256 || start + colorsUsed * 4 > bytes.length) fail('truncated palette');
    palette = bytes.subarray(start, start + colorsUsed * 4);
  }

  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (pixelOffset + stride * height > bytes.length) fail(`truncated pixel data (need ${pixelOffset + stride * height} bytes, have ${bytes.length})`);

  const hasAlpha = masks !== undefined && masks[3] !== 0;
  const channels = hasAlpha ? 4 : 3;
  const out = new Uint8Array(width * height * channels);
  const fields = masks?.map(maskShift);
  const scale = (value: number, field: { shift: number; max: number } | undefined): number =>
    field === undefined || field.max === 0 ? 0 : Math.round((((value >>> field.shift) & field.max) * 255) / field.max);

  for (let row = 0; row < height; row++) {
    const src = pixelOffset + (topDown ? row : height - 1 - row) * stride;
    let dst = row * width * channels;
    for (let x = 0; x < width; x++) {
      if (bpp <= 8) {
        const perByte = 8 / bpp;
        const byte = bytes[src + Math.floor(x / perByte)] as number;
        const index = (byte >> (8 - bpp * ((x % perByte) + 1))) & ((1 << bpp) - 1);
        const p = index * 4;
        if (palette === undefined || p + 2 >= palette.length) fail(`palette index ${index} out of range`);
        out[dst++] = (palette as Uint8Array)[p + 2] as number;
        out[dst++] = (palette as Uint8Array)[p + 1] as number;
        out[dst++] = (palette as Uint8Array)[p] as number;
      } else if (bpp === 24) {
        const p = src + x * 3;
        out[dst++] = bytes[p + 2] as number;
        out[dst++] = bytes[p + 1] as number;
        out[dst++] = bytes[p] as number;
      } else {
        const value = bpp === 16 ? view.getUint16(src + x * 2, true) : view.getUint32(src + x * 4, true);
        out[dst++] = scale(value, fields?.[0]);
        out[dst++] = scale(value, fields?.[1]);
        out[dst++] = scale(value, fields?.[2]);
        if (hasAlpha) out[dst++] = scale(value, fields?.[3]);
      }
    }
  }
  return { data: out, width, height, channels };
}
