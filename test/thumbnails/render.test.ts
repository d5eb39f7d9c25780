import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeBmp } from '../../demo/fixtures.mjs';
import {
  ImageDecodeError,
  ImageTooLargeError,
  InvalidPolygonError,
  TooManyPointsError,
  TooManyPolygonsError,
  renderThumbnail,
  type Polygon,
} from '../../src/thumbnails/index.js';
import { InvalidOptionError, defaultClassifier } from '../../src/index.js';
import { Budget } from '../../src/thumbnails/budget.js';
import { prepareOverlay } from '../../src/thumbnails/overlay.js';
import { circle, decode, pngClaiming, solid, square, tiff16 } from '../helpers/images.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

const GREY: [number, number, number] = [128, 128, 128];
/** Red at 40 % over grey 128. */
const TINT_R = Math.round(0.6 * 128 + 0.4 * 255);
const TINT_G = Math.round(0.6 * 128);

function near(actual: number, expected: number, tolerance = 6): void {
  expect(Math.abs(actual - expected), `${actual} ≈ ${expected}`).toBeLessThanOrEqual(tolerance);
}

describe('renderThumbnail: pixels', () => {
  // 1000×1000 grey, scale 0.3: source (x, y) lands at (0.3x, 0.3y).
  const polygons: Polygon[] = [
    square(200, 200, 600, 600, { id: 'cell' }),
    { ...square(350, 350, 450, 450), type: 'internal', parentId: 'cell' },
  ];

  it('tints the interior, cuts the hole out, strokes both outlines, leaves the rest unchanged', async () => {
    const image = await solid(1000, 1000, GREY);
    const out = await renderThumbnail(image, polygons, { format: 'png' });
    const px = await decode(out.data);
    expect([px.width, px.height, px.format]).toEqual([300, 300, 'png']);
    const [r, g, b] = px.at(75, 75); // inside the cell, away from the hole
    near(r, TINT_R);
    near(g, TINT_G);
    near(b, TINT_G);
    expect(px.at(120, 120)).toEqual(GREY); // the hole's interior is untouched
    expect(px.at(270, 270)).toEqual(GREY); // outside every polygon
    expect(px.at(20, 150)).toEqual(GREY);
    const edge = px.at(60, 90); // on the outer outline (x = 200 → 60)
    expect(edge[0]).toBeGreaterThan(230);
    expect(edge[1]).toBeLessThan(40);
    const holeEdge = px.at(105, 120); // on the hole's outline (x = 350 → 105)
    expect(holeEdge[2]).toBeGreaterThan(230);
    expect(holeEdge[0]).toBeLessThan(40);
  });

  it("finds a hole's parent by containment when parentId is missing", async () => {
    const image = await solid(1000, 1000, GREY);
    const out = await renderThumbnail(image, [square(200, 200, 600, 600), { ...square(350, 350, 450, 450), type: 'internal' }], { format: 'png' });
    const px = await decode(out.data);
    expect(px.at(120, 120)).toEqual(GREY);
    near(px.at(75, 75)[0], TINT_R);
  });

  it('overlapping externals each keep their fill (no even-odd cancellation between them)', async () => {
    const image = await solid(1000, 1000, GREY);
    const out = await renderThumbnail(image, [square(100, 100, 500, 500), square(300, 300, 700, 700)], { format: 'png' });
    const px = await decode(out.data);
    const single = px.at(60, 60)[0];
    const overlap = px.at(120, 120)[0];
    near(single, TINT_R);
    expect(overlap).toBeGreaterThan(single + 20); // tinted twice, not cancelled
  });

  it('strokes polylines without filling them', async () => {
    const image = await solid(1000, 1000, GREY);
    const line: Polygon = { type: 'external', geometry: 'polyline', points: [{ x: 100, y: 100 }, { x: 500, y: 900 }, { x: 900, y: 100 }] };
    const px = await decode((await renderThumbnail(image, [line], { format: 'png' })).data);
    expect(px.at(150, 100)).toEqual(GREY); // inside the V: not filled
    const onLine = px.at(90, 150); // (300, 500) on the first leg → (90, 150)
    expect(onLine[0]).toBeGreaterThan(200);
  });

  it('uses class and per-polygon colours, and configurable stroke and fill', async () => {
    const image = await solid(1000, 1000, GREY);
    const out = await renderThumbnail(
      image,
      [square(100, 100, 400, 400, { class: 'nucleus' }), square(600, 600, 900, 900, { color: '#00FF00' })],
      { format: 'png', colors: { classes: { nucleus: '#FFFF00' } }, fillOpacity: 1, strokeWidth: 4 },
    );
    const px = await decode(out.data);
    expect(px.at(75, 75)).toEqual([255, 255, 0]);
    expect(px.at(225, 225)).toEqual([0, 255, 0]);
  });

  it('draws a plain thumbnail without polygons', async () => {
    const out = await renderThumbnail(await solid(600, 300, [10, 200, 30]), undefined, { format: 'png' });
    const px = await decode(out.data);
    expect([px.width, px.height]).toEqual([300, 150]);
    expect(px.at(150, 75)).toEqual([10, 200, 30]);
  });
});

describe('renderThumbnail: fit modes map polygons exactly', () => {
  // 1000×500; a small square around (500, 250).
  const marker = [square(470, 220, 530, 280)];
  const cases = [
    ['inside', 300, 150, [150, 75]],
    ['cover', 300, 300, [150, 150]],
    ['fill', 300, 300, [150, 150]],
  ] as const;
  for (const [fit, width, height, [mx, my]] of cases) {
    it(`${fit}: ${width}×${height}, marker at (${mx}, ${my})`, async () => {
      const out = await renderThumbnail(await solid(1000, 500, GREY), marker, { format: 'png', fit, fillOpacity: 1 });
      const px = await decode(out.data);
      expect([px.width, px.height]).toEqual([width, height]);
      expect(px.at(mx, my)).toEqual([255, 0, 0]);
      expect(px.at(mx + 40, my)).toEqual(GREY);
    });
  }

  it('honours width/height and quality for every format', async () => {
    const image = await solid(800, 800, GREY);
    for (const format of ['jpeg', 'webp', 'png'] as const) {
      const out = await renderThumbnail(image, marker, { format, width: 120, height: 80, quality: 50 });
      const meta = await sharp(out.data).metadata();
      expect([meta.format, meta.width, meta.height, out.contentType]).toEqual([format, 80, 80, `image/${format}`]);
    }
  });
});

describe('renderThumbnail: inputs', () => {
  it('normalises a 16-bit microscopy TIFF so it is not black', async () => {
    const tiff = tiff16(400, 100);
    expect((await sharp(tiff).metadata()).depth).toBe('ushort');
    const mean = async (normalize: 'auto' | 'never'): Promise<number> => {
      const out = await renderThumbnail(tiff, [], { format: 'png', normalize });
      const stats = await sharp(out.data).stats();
      return stats.channels[0]?.mean ?? 0;
    };
    expect(await mean('never')).toBeLessThan(20);
    expect(await mean('auto')).toBeGreaterThan(100);
    // The stretch is linear: the ramp's middle lands mid-grey, its ends near black and white.
    const px = await decode((await renderThumbnail(tiff, [], { format: 'png' })).data);
    expect([px.width, px.height]).toEqual([300, 75]);
    near(px.at(150, 37)[0], 128, 8);
    expect(px.at(1, 37)[0]).toBeLessThan(8);
    expect(px.at(298, 37)[0]).toBeGreaterThan(247);
  });

  it('decodes BMP (which sharp cannot) and draws on it', async () => {
    const w = 200;
    const h = 100;
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) rgb.set(i % w < 100 ? [0, 0, 200] : [200, 200, 0], i * 3);
    const bmp = encodeBmp({ data: rgb, width: w, height: h, channels: 3 });
    const out = await renderThumbnail(bmp, [square(150, 20, 190, 80, { fillOpacity: 1, color: '#00FF00' } as Partial<Polygon>)], { format: 'png', width: 200, height: 100, fillOpacity: 1 });
    const px = await decode(out.data);
    expect([px.width, px.height]).toEqual([200, 100]);
    expect(px.at(50, 50)).toEqual([0, 0, 200]);
    expect(px.at(120, 10)).toEqual([200, 200, 0]);
    expect(px.at(170, 50)).toEqual([0, 255, 0]);
  });

  it('applies EXIF orientation to the image, and to raw-space polygons', async () => {
    // Stored 400×200 with orientation 6 (rotate 90° clockwise to display): displayed 200×400.
    const stored = await sharp({ create: { width: 400, height: 200, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    // The same region given in both spaces: stored (20..80, 20..80) → displayed (120..180, 20..80).
    const oriented = await renderThumbnail(stored, [square(120, 20, 180, 80)], { format: 'png', fillOpacity: 1, width: 200, height: 400 });
    const raw = await renderThumbnail(stored, [square(20, 20, 80, 80)], { format: 'png', fillOpacity: 1, width: 200, height: 400, polygonSpace: 'raw' });
    for (const out of [oriented, raw]) {
      const px = await decode(out.data);
      expect([px.width, px.height]).toEqual([200, 400]);
      const [r, g] = px.at(150, 50);
      expect(r).toBeGreaterThan(230);
      expect(g).toBeLessThan(30);
      near(px.at(50, 300)[0], 128);
    }
  });

  it('simplifies a 200 000-point contour to output resolution: few points, same picture', async () => {
    const huge = circle(500, 500, 300, 200_000);
    const small = circle(500, 500, 300, 2_000);
    const t = { sx: 0.3, sy: 0.3, dx: 0, dy: 0, orientation: 1, rawWidth: 1000, rawHeight: 1000 };
    const style = { external: '#FF0000', internal: '#0000FF', classes: new Map<string, string>(), fillOpacity: 0.4, strokeWidth: 2, tolerance: 0.3, holeFill: undefined, vertexMarkers: undefined, endMarkers: undefined };
    const points = async (polygon: Polygon): Promise<number> => ((await prepareOverlay(300, 300, [polygon], t, style, new Budget())).fills[0]?.rings[0]?.length ?? 0) / 2;
    // A circle of radius 90 output pixels needs a few dozen points at 0.3 px tolerance, not 200 000.
    expect(await points(huge)).toBeLessThan(200);
    expect(await points(huge)).toBeLessThan(2 * (await points(small)));
    expect(await points(huge)).toBeGreaterThan(20);
    const image = await solid(1000, 1000, GREY);
    const a = await decode((await renderThumbnail(image, [huge], { format: 'png' })).data);
    const b = await decode((await renderThumbnail(image, [small], { format: 'png' })).data);
    let differing = 0;
    for (let y = 0; y < 300; y += 3) for (let x = 0; x < 300; x += 3) if (Math.abs(a.at(x, y)[0] - b.at(x, y)[0]) > 40) differing++;
    expect(differing).toBeLessThan(10);
  });

  it('clips points far outside the image', async () => {
    const image = await solid(1000, 1000, GREY);
    const wedge: Polygon = { type: 'external', points: [{ x: 0, y: 0 }, { x: 1e9, y: 0 }, { x: 0, y: 1e9 }] };
    const px = await decode((await renderThumbnail(image, [wedge], { format: 'png', fillOpacity: 1 })).data);
    expect(px.at(100, 100)).toEqual([255, 0, 0]); // inside the (clipped) triangle
    expect(px.at(299, 299)).toEqual([255, 0, 0]); // the hypotenuse is far away: all of the thumbnail is inside
  });
});

describe('renderThumbnail: bad input gets typed errors', () => {
  it.each([
    ['zero bytes', async () => new Uint8Array(0), ImageDecodeError, /empty/],
    ['text named .png', async () => new TextEncoder().encode('hello, I am not an image'), ImageDecodeError, /unsupported image format/],
    ['truncated JPEG', async () => (await solid(300, 300, GREY, 'jpeg')).subarray(0, 400), ImageDecodeError, /Cannot decode image/],
    ['truncated PNG', async () => (await solid(300, 300, GREY, 'png')).subarray(0, 60), ImageDecodeError, /Cannot decode image/],
    ['PNG header claiming 100 000 × 100 000', () => pngClaiming(100_000, 100_000), ImageTooLargeError, /pixel limit/],
    ['truncated BMP', async () => encodeBmp({ data: new Uint8Array(30), width: 10, height: 1, channels: 3 }).subarray(0, 60), ImageDecodeError, /truncated/],
  ] as const)('%s', async (_name, make, ErrorClass, message) => {
    await expect(renderThumbnail(await make(), [])).rejects.toSatisfy((e: unknown) => {
      expect(e).toBeInstanceOf(ErrorClass);
      expect((e as Error).message).toMatch(message);
      return true;
    });
  });

  it('a truncated image with a heavy overlay: still an ImageDecodeError (the drawing, started while sharp decodes, stops with it)', async () => {
    const png = await solid(1000, 1000, GREY, 'png');
    const cut = png.subarray(0, Math.floor(png.length / 2)); // the header reads, the pixels do not
    const zigzag: Polygon = { type: 'external', points: Array.from({ length: 20_000 }, (_, i) => ({ x: (i / 20_000) * 1000, y: i % 2 === 1 ? 0 : 1000 })) };
    // No unhandled rejection either: `failOnUnhandledRejection` checks after every test of this file.
    await expect(renderThumbnail(cut, [zigzag], { width: 1000, height: 1000, vertexMarkers: {} })).rejects.toBeInstanceOf(ImageDecodeError);
  });

  it.each([
    ['NaN coordinate', [{ type: 'external', points: [{ x: 0, y: 0 }, { x: Number.NaN, y: 1 }, { x: 2, y: 2 }] }], 'Invalid polygon #0: point 1 must have finite numeric x and y, got {"x":"NaN","y":1}'],
    ['Infinity', [{ id: 'p7', type: 'external', points: [{ x: 0, y: 0 }, { x: 1, y: Infinity }, { x: 2, y: 2 }] }], 'Invalid polygon "p7" (#0): point 1 must have finite numeric x and y, got {"x":1,"y":"Infinity"}'],
    ['string coordinate', [{ type: 'external', points: [{ x: '1', y: 0 }, { x: 1, y: 1 }, { x: 2, y: 2 }] }], 'Invalid polygon #0: point 0 must have finite numeric x and y, got {"x":"1","y":0}'],
    ['two-point polygon', [square(0, 0, 1, 1), { type: 'external', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }], 'Invalid polygon #1: a polygon needs at least 3 points, got 2'],
    ['one-point polyline', [{ type: 'external', geometry: 'polyline', points: [{ x: 0, y: 0 }] }], 'Invalid polygon #0: a polyline needs at least 2 points, got 1'],
    ['unknown type', [{ type: 'hole', points: [] }], 'Invalid polygon #0: `type` must be "external" or "internal", got "hole"'],
    ['colour that could inject SVG', [square(0, 0, 1, 1, { color: 'red" onload="x' })], 'Invalid polygon #0: `color` must be a hex colour like "#FF0000", got "red\\" onload=\\"x"'],
  ])('%s', async (_name, polygons, message) => {
    const image = await solid(10, 10, GREY);
    await expect(renderThumbnail(image, polygons as Polygon[])).rejects.toSatisfy((e: unknown) => {
      expect(e).toBeInstanceOf(InvalidPolygonError);
      expect((e as Error).message).toBe(message);
      expect((e as InvalidPolygonError).code).toBe('ERR_BULWARK_INVALID_POLYGON');
      return true;
    });
  });

  it('caps the polygon count', async () => {
    const polygons = Array.from({ length: 11 }, () => square(0, 0, 1, 1));
    await expect(renderThumbnail(await solid(10, 10, GREY), polygons, { maxPolygons: 10 })).rejects.toSatisfy(
      (e: unknown) => e instanceof TooManyPolygonsError && e.count === 11 && e.maxPolygons === 10,
    );
  });

  it('caps the total point count: exactly maxPoints passes, one more fails before any point is looked at', async () => {
    const image = await solid(10, 10, GREY);
    const polygons = [circle(5, 5, 4, 60), circle(5, 5, 2, 40)];
    await expect(renderThumbnail(image, polygons, { maxPoints: 100 })).resolves.toBeDefined();
    const error = await renderThumbnail(image, polygons, { maxPoints: 99 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyPointsError);
    expect(error).toMatchObject({ code: 'ERR_BULWARK_TOO_MANY_POINTS', count: 100, maxPoints: 99 });
    expect(defaultClassifier(error)?.retriable).toBe(false);
    // Counted first: an over-cap list with a NaN point is a TooManyPointsError, in lenient mode too.
    const bad = [...polygons, { type: 'external' as const, points: [{ x: Number.NaN, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 0 }] }];
    for (const invalidPolygons of ['fail', 'skip'] as const) {
      await expect(renderThumbnail(image, bad, { maxPoints: 101, invalidPolygons })).rejects.toBeInstanceOf(TooManyPointsError);
    }
    await expect(renderThumbnail(image, bad, { maxPoints: 103, invalidPolygons: 'skip' })).resolves.toMatchObject({ skippedPolygons: [{ index: 2 }] });
    await expect(renderThumbnail(image, polygons, { maxPoints: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('accepts a self-intersecting polygon', async () => {
    const bowtie: Polygon = { type: 'external', points: [{ x: 0, y: 0 }, { x: 100, y: 100 }, { x: 100, y: 0 }, { x: 0, y: 100 }] };
    const out = await renderThumbnail(await solid(100, 100, GREY), [bowtie], { format: 'png', width: 100, height: 100 });
    expect(out.width).toBe(100);
  });

  it('validates render options with the usual message', async () => {
    await expect(renderThumbnail(new Uint8Array(1), [], { width: 0 })).rejects.toThrow('Expected `width` to be an integer from 1 to 10000, got `0` (number)');
    await expect(renderThumbnail(new Uint8Array(1), [], { format: 'gif' as 'png' })).rejects.toThrow('Expected `format` to be one of `jpeg`, `webp`, `png`, got `"gif"` (string)');
    await expect(renderThumbnail(new Uint8Array(1), [], { colors: { external: 'red' } })).rejects.toThrow('Expected `colors.external` to be a hex colour like "#FF0000", got `"red"` (string)');
  });
});
