// Dependency-free fixture writers shared by the demo, the benchmarks and the tests.

/** mulberry32: a tiny seeded PRNG returning numbers in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 16-bit greyscale TIFF, written by hand (uncompressed, one strip): sharp's TIFF writer would
 * store it as 8-bit. `sample(x, y)` returns each pixel's value, 0..65535.
 */
export function writeTiff16(width, height, sample) {
  const count = 9;
  const dataOffset = 8 + 2 + count * 12 + 4;
  const out = Buffer.alloc(dataOffset + width * height * 2);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(count, 8);
  const entries = [[256, 4, width], [257, 4, height], [258, 3, 16], [259, 3, 1], [262, 3, 1], [273, 4, dataOffset], [277, 3, 1], [278, 4, height], [279, 4, width * height * 2]];
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(1, at + 4);
    if (type === 3) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(value, at + 8);
  });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.writeUInt16LE(sample(x, y), dataOffset + (y * width + x) * 2);
  return out;
}

/** A 24-bit bottom-up BMP (uncompressed), from `{ data, width, height, channels }` pixels: real BMP input for the demo and tests. */
export function encodeBmp(image) {
  const { width, height, channels, data } = image;
  const stride = Math.floor((24 * width + 31) / 32) * 4;
  const size = 54 + stride * height;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  view.setUint32(2, size, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  view.setUint32(34, stride * height, true);
  for (let row = 0; row < height; row++) {
    const dst = 54 + (height - 1 - row) * stride;
    for (let x = 0; x < width; x++) {
      const s = (row * width + x) * channels;
      const r = data[s];
      const g = channels >= 3 ? (data[s + 1]) : r;
      const b = channels >= 3 ? (data[s + 2]) : r;
      out[dst + x * 3] = b;
      out[dst + x * 3 + 1] = g;
      out[dst + x * 3 + 2] = r;
    }
  }
  return out;
}
