// Hostile-input robustness of the renderer's own code paths (each failed on 0.1).
import { describe, expect, it, vi } from 'vitest';
import { encodeBmp } from '../../demo/fixtures.mjs';
import { decodeBmp } from '../../src/thumbnails/bmp.js';
import { stretch } from '../../src/thumbnails/stretch.js';
import { ImageDecodeError } from '../../src/thumbnails/index.js';

describe('16-bit contrast stretch', () => {
  it('maps the 0.5th..99.5th percentile to 0..255 exactly, from a histogram (a 12-bit ramp in 16 bits)', () => {
    const width = 4096;
    const samples = new Float32Array(width);
    for (let i = 0; i < width; i++) samples[i] = i; // 0..4095
    const { data } = stretch(samples, width, 1, 1);
    // 0.5 % of 4096 ≈ sample 20 → 0; 99.5 % ≈ sample 4075 → 255; the middle near 127.
    expect(data[20 * 3]).toBe(0);
    expect(data[4075 * 3]).toBe(255);
    expect(Math.abs((data[2048 * 3] as number) - 128)).toBeLessThanOrEqual(1);
  });

  it('NaN and infinite samples (float TIFFs) are ignored by the percentiles and drawn black', () => {
    const samples = new Float32Array([Number.NaN, 0, 1000, Number.POSITIVE_INFINITY, 2000, Number.NEGATIVE_INFINITY]);
    const { data } = stretch(samples, 6, 1, 1);
    expect([data[0], data[3], data[6], data[9], data[12], data[15]]).toEqual([0, 0, 128, 0, 255, 0]);
  });

  it('never copies or sorts the samples: linear in time, fixed memory (0.1 sorted a copy: 15 s and 3.8 GB at 5000²)', () => {
    const n = 1000 * 1000;
    const samples = new Float32Array(n);
    for (let i = 0; i < n; i++) samples[i] = (i * 7919) % 65_536;
    const sort = vi.spyOn(Float32Array.prototype, 'sort');
    const filter = vi.spyOn(Float32Array.prototype, 'filter');
    try {
      const { data } = stretch(samples, 1000, 1000, 1);
      expect(data.length).toBe(n * 3);
      expect(sort).not.toHaveBeenCalled();
      expect(filter).not.toHaveBeenCalled();
    } finally {
      sort.mockRestore();
      filter.mockRestore();
    }
  });
});

describe('BMP decoder', () => {
  it('a header that promises an alpha mask but is cut before it is an ImageDecodeError, not a RangeError', () => {
    const bmp = encodeBmp({ data: new Uint8Array(4 * 4 * 3), width: 4, height: 4, channels: 3 });
    const view = new DataView(bmp.buffer, bmp.byteOffset, bmp.byteLength);
    view.setUint16(28, 32, true); // 32 bpp
    view.setUint32(30, 6, true); // BI_ALPHABITFIELDS: four masks (R, G, B, A) follow the 40-byte header
    const truncated = bmp.subarray(0, 14 + 40 + 14); // the alpha mask is cut short
    expect(() => decodeBmp(truncated, 1e6)).toThrow(ImageDecodeError);
    expect(() => decodeBmp(truncated, 1e6)).toThrow(/truncated/);
  });
});
