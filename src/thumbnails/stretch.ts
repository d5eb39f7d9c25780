/**
 * @internal Linear contrast stretch of the (already resized) image: the 0.5th..99.5th percentile of
 * its samples maps to 0..255, so a 12-bit image stored in 16 bits is not black and a few hot pixels do
 * not flatten everything else. Greyscale becomes RGB. Runs on thumbnail-sized data only.
 */
export function stretch(samples: Float32Array, width: number, height: number, channels: number): { data: Uint8Array; width: number; height: number; channels: 3 } {
  const colour = channels >= 3 ? 3 : 1;
  const sorted = Float32Array.from(colour === 1 ? samples.filter((_, i) => i % channels === 0) : samples.filter((_, i) => i % channels < 3)).sort();
  const lo = sorted[Math.floor((sorted.length - 1) * 0.005)] ?? 0;
  const hi = sorted[Math.ceil((sorted.length - 1) * 0.995)] ?? 0;
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      const v = samples[p * channels + (colour === 1 ? 0 : c)] as number;
      const scaled = (v - lo) * scale;
      out[p * 3 + c] = scaled <= 0 ? 0 : scaled >= 255 ? 255 : Math.round(scaled);
    }
  }
  return { data: out, width, height, channels: 3 };
}
