// Thumbnails: 230 generated 1024×1024 microscopy-like images, ~20 polygons of 100-300 points each,
// → 300 px WebP. Images per second and peak RSS at concurrency 1, 2, 5, for:
//  - bulwark ThumbnailManager (memory storage and repository, retry and all);
//  - the hand-written sharp pipeline: resize, then one SVG overlay with every point;
//  - the old backend's pattern: draw at full size, write a temporary PNG, then resize;
//  - bare resize with no overlay (the floor).
// With `--threadpool`, a second table: bulwark at several concurrencies under UV_THREADPOOL_SIZE 1, 2, 4.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import sharp from 'sharp';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystemStorage, MemoryRepository, MemoryStorage, ThumbnailManager } from 'bulwark/thumbnails';
import { encodeSample, makeSample } from '../demo/synthetic.mjs';
import { emit, now } from './lib.mjs';

const COUNT = Number(process.env.BENCH_IMAGES ?? 230);
const SIZE = 1024;
const BOX = 300;
const mode = process.argv[2];

async function makeInputs(format = 'png') {
  const inputs = [];
  for (let i = 0; i < COUNT; i++) {
    const sample = makeSample(i, SIZE);
    inputs.push({ id: `seg-${i}`, format, data: (await encodeSample(i, sample, format)).data, polygons: sample.polygons });
  }
  return inputs;
}

const ring = (points, s) => `M${points.map((p) => `${(p.x * s).toFixed(2)} ${(p.y * s).toFixed(2)}`).join('L')}Z`;
function naiveSvg(polygons, width, height, s, stroke) {
  const paths = polygons
    .map((p) => `<path d="${ring(p.points, s)}" fill="${p.type === 'external' ? '#FF0000' : 'none'}" fill-opacity="0.4" stroke="${p.type === 'external' ? '#FF0000' : '#0000FF'}" stroke-width="${stroke}"/>`)
    .join('');
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${paths}</svg>`);
}

/** `generateMany` over all inputs through a ThumbnailManager on `storage` (inputs stored first, not timed). */
async function throughManager(storage, inputs, concurrency) {
  const repository = new MemoryRepository();
  for (const input of inputs) {
    await storage.put(`images/${input.id}.${input.format}`, input.data, { contentType: `image/${input.format}` });
    repository.add({ id: input.id, projectId: 'bench', imageKey: `images/${input.id}.${input.format}`, polygons: input.polygons });
  }
  const manager = new ThumbnailManager({ storage, repository, format: 'webp', concurrency });
  const watch = stopwatch();
  const report = await manager.generateMany(inputs.map((i) => i.id));
  if (report.succeeded !== inputs.length) throw new Error(`bulwark lost ${inputs.length - report.succeeded}`);
  return watch();
}

const variants = {
  'bulwark ThumbnailManager + FileSystemStorage': async (inputs, concurrency) => {
    const root = mkdtempSync(join(tmpdir(), 'bulwark-bench-thumbs-'));
    try {
      return await throughManager(new FileSystemStorage({ root }), inputs, concurrency);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
  'bulwark ThumbnailManager': (inputs, concurrency) => throughManager(new MemoryStorage(), inputs, concurrency),
  'hand-written: resize, then one SVG overlay': async (inputs, concurrency) => {
    const limit = pLimit(concurrency);
    const watch = stopwatch();
    await Promise.all(
      inputs.map((input) =>
        limit(async () => {
          const s = BOX / SIZE;
          return sharp(input.data).resize(BOX, BOX, { fit: 'inside' }).composite([{ input: naiveSvg(input.polygons, BOX, BOX, s, 2) }]).webp().toBuffer();
        }),
      ),
    );
    return watch();
  },
  'old pattern: draw at full size, temp PNG, resize': async (inputs, concurrency) => {
    const limit = pLimit(concurrency);
    const watch = stopwatch();
    await Promise.all(
      inputs.map((input) =>
        limit(async () => {
          const full = await sharp(input.data).composite([{ input: naiveSvg(input.polygons, SIZE, SIZE, 1, 2) }]).png({ compressionLevel: 1 }).toBuffer();
          return sharp(full).resize(BOX, BOX, { fit: 'inside' }).webp().toBuffer();
        }),
      ),
    );
    return watch();
  },
  'bare resize, no overlay (floor)': async (inputs, concurrency) => {
    const limit = pLimit(concurrency);
    const watch = stopwatch();
    await Promise.all(inputs.map((input) => limit(() => sharp(input.data).resize(BOX, BOX, { fit: 'inside' }).webp().toBuffer())));
    return watch();
  },
};

/** Wall and CPU time (all threads: sharp's work on the thread pool included) from now to the call. */
function stopwatch() {
  const start = now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { ms: now() - start, cpuMs: (used.user + used.system) / 1000 };
  };
}

async function measure(name, inputs, concurrency) {
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
  const { ms, cpuMs } = await variants[name](inputs, concurrency);
  clearInterval(timer);
  return { imagesPerSecond: +((inputs.length * 1000) / ms).toFixed(1), cpuMsPerImage: +(cpuMs / inputs.length).toFixed(1), peakRssMb: Math.round(peakRss / 1048576) };
}

if (mode === '--child') {
  // One bulwark run per process, for the thread-pool table.
  const concurrency = Number(process.argv[3]);
  const inputs = await makeInputs();
  await measure('bulwark ThumbnailManager', inputs.slice(0, 20), concurrency); // warm-up
  console.log(JSON.stringify(await measure('bulwark ThumbnailManager', inputs, concurrency)));
} else if (mode === '--threadpool') {
  const rows = [];
  for (const pool of [1, 2, 4]) {
    for (const concurrency of [1, 2, 5, 8]) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(concurrency)], { encoding: 'utf8', env: { ...process.env, UV_THREADPOOL_SIZE: String(pool) } });
      rows.push({ UV_THREADPOOL_SIZE: pool, concurrency, ...JSON.parse(out.trim().split('\n').at(-1)) });
    }
  }
  emit(`bulwark thumbnails by UV_THREADPOOL_SIZE and concurrency (${COUNT} images)`, rows);
} else {
  for (const format of ['png', 'jpeg']) {
    const inputs = await makeInputs(format);
    for (const name of Object.keys(variants)) await variants[name](inputs.slice(0, 10), 2); // warm-up
    const rows = [];
    for (const concurrency of [1, 2, 5]) {
      const results = {};
      for (const name of Object.keys(variants)) results[name] = await measure(name, inputs, concurrency);
      const floor = results['bare resize, no overlay (floor)'];
      for (const [name, r] of Object.entries(results)) rows.push({ concurrency, name, ...r, ratioVsBareResize: +(r.imagesPerSecond / floor.imagesPerSecond).toFixed(2), cpuRatio: +(floor.cpuMsPerImage / r.cpuMsPerImage).toFixed(2) });
    }
    emit(`Thumbnails (${COUNT} × ${SIZE}² ${format.toUpperCase()}, ~20 polygons each → ${BOX} px WebP)`, rows, { goal: 'bulwark >= 0.9x bare resize (issue #13)', sharpConcurrency: sharp.concurrency(), uvThreadpool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)' });
  }
}
