/** mulberry32: a tiny seeded PRNG returning numbers in [0, 1). */
export function prng(seed: number): () => number;
/** A hand-written 16-bit greyscale TIFF; `sample(x, y)` returns each pixel's value, 0..65535. */
export function writeTiff16(width: number, height: number, sample: (x: number, y: number) => number): Buffer;
/** A 24-bit bottom-up BMP (uncompressed) from `{ data, width, height, channels }` pixels. */
export function encodeBmp(image: { readonly data: Uint8Array; readonly width: number; readonly height: number; readonly channels: number }): Uint8Array;
