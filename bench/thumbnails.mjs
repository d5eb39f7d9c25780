// Thumbnails: 230 generated 1024×1024 microscopy-like images (PNG, then JPEG), ~20 polygons of 100-300
// points each, → 300 px WebP. Images per second, CPU per image and peak RSS at concurrency 1, 2, 5, for:
//  - bulwark ThumbnailManager with MemoryStorage, against bare sharp resize buffer → buffer (its floor);
//  - bulwark ThumbnailManager with FileSystemStorage, against bare sharp resize file → file (its floor:
//    a bare resize that reads and writes files pays file I/O too; bulwark's fsyncs are counted against it);
//  - for comparison (one round): the hand-written sharp pipeline (resize, then one SVG overlay with
//    every point) and the old backend's pattern (draw at full size, temporary PNG, resize).
// Fair by construction: every measurement runs in a process of its own (no variant pays another's heap
// or garbage), rounds alternate the order, medians are reported. The images are generated once, into a
// temporary folder, and each process reads them from there.
// With `--threadpool`: bulwark at several concurrencies under UV_THREADPOOL_SIZE 1, 2, 4.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, median, now } from './lib.mjs';

const COUNT = Number(process.env.BENCH_IMAGES ?? 230);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SIZE = 1024;
const BOX = 300;
const here = fileURLToPath(import.meta.url);

const MEMORY = 'bulwark ThumbnailManager + MemoryStorage';
const MEMORY_FLOOR = 'bare resize, buffer to buffer (floor)';
const FILES = 'bulwark ThumbnailManager + FileSystemStorage';
const FILES_FLOOR = 'bare resize, file to file (floor)';
const HAND_WRITTEN = 'hand-written: resize, then one SVG overlay';
const OLD = 'old pattern: draw at full size, temp PNG, resize';
/** Each bulwark variant and the floor it is compared with. */
const FLOOR_OF = { [MEMORY]: MEMORY_FLOOR, [FILES]: FILES_FLOOR, [HAND_WRITTEN]: MEMORY_FLOOR, [OLD]: MEMORY_FLOOR };

// ---------------------------------------------------------------------------------------------- child

const ring = (points, s) => `M${points.map((p) => `${(p.x * s).toFixed(2)} ${(p.y * s).toFixed(2)}`).join('L')}Z`;
function naiveSvg(polygons, width, height, s, stroke) {
  const paths = polygons
    .map((p) => `<path d="${ring(p.points, s)}" fill="${p.type === 'external' ? '#FF0000' : 'none'}" fill-opacity="0.4" stroke="${p.type === 'external' ? '#FF0000' : '#0000FF'}" stroke-width="${stroke}"/>`)
    .join('');
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${paths}</svg>`);
}

/** Runs one variant over `ids` (already set up by `prepare`); resolves when all are done. */
async function child(name, format, concurrency, dir) {
  const sharp = (await import('sharp')).default;
  const { default: pLimit } = await import('p-limit');
  const { FileSystemStorage, MemoryRepository, MemoryStorage, ThumbnailManager } = await import('bulwark/thumbnails');
  const polygons = JSON.parse(readFileSync(join(dir, 'polygons.json'), 'utf8'));
  const fileOf = (i) => join(dir, format, `seg-${i}.${format}`);
  const limited = async (ids, work) => {
    const limit = pLimit(concurrency);
    await Promise.all(ids.map((i) => limit(() => work(i))));
  };

  /**
   * Builds the variant once, for the warm-up's ids and the measured ones (the same instance runs both,
   * as in an app: a manager dropped after the warm-up left the measured run garbage to collect).
   * Inputs are loaded before the clock starts. Warm-up ids are `w<i>` (image i again).
   */
  async function prepare(warmIds, ids) {
    const source = (id) => (typeof id === 'string' ? Number(id.slice(1)) : id);
    const every = [...warmIds, ...ids];
    if (name === MEMORY || name === FILES) {
      let storage;
      let root;
      if (name === MEMORY) storage = new MemoryStorage();
      else {
        root = mkdtempSync(join(tmpdir(), 'bulwark-bench-thumbs-'));
        storage = new FileSystemStorage({ root });
      }
      const repository = new MemoryRepository();
      for (const id of every) {
        const key = `images/seg-${id}.${format}`;
        await storage.put(key, readFileSync(fileOf(source(id))), { contentType: `image/${format}` });
        repository.add({ id: `seg-${id}`, projectId: 'bench', imageKey: key, polygons: polygons[source(id)] });
      }
      const manager = new ThumbnailManager({ storage, repository, format: 'webp', concurrency });
      const run = async (some) => {
        const report = await manager.generateMany(some.map((id) => `seg-${id}`));
        if (report.succeeded !== some.length) throw new Error(`bulwark lost ${some.length - report.succeeded}`);
      };
      return { run, done: () => root !== undefined && rmSync(root, { recursive: true, force: true }) };
    }
    if (name === FILES_FLOOR) {
      const out = mkdtempSync(join(tmpdir(), 'bulwark-bench-bare-'));
      return {
        run: (some) => limited(some, (id) => sharp(fileOf(source(id))).resize(BOX, BOX, { fit: 'inside' }).webp().toFile(join(out, `seg-${id}.webp`))),
        done: () => rmSync(out, { recursive: true, force: true }),
      };
    }
    const data = new Map(every.map((id) => [id, readFileSync(fileOf(source(id)))]));
    const work = {
      [MEMORY_FLOOR]: (id) => sharp(data.get(id)).resize(BOX, BOX, { fit: 'inside' }).webp().toBuffer(),
      [HAND_WRITTEN]: (id) =>
        sharp(data.get(id))
          .resize(BOX, BOX, { fit: 'inside' })
          .composite([{ input: naiveSvg(polygons[source(id)], BOX, BOX, BOX / SIZE, 2) }])
          .webp()
          .toBuffer(),
      [OLD]: async (id) => {
        const full = await sharp(data.get(id)).composite([{ input: naiveSvg(polygons[source(id)], SIZE, SIZE, 1, 2) }]).png({ compressionLevel: 1 }).toBuffer();
        return sharp(full).resize(BOX, BOX, { fit: 'inside' }).webp().toBuffer();
      },
    }[name];
    if (work === undefined) throw new Error(`unknown variant ${name}`);
    return { run: (some) => limited(some, work), done: () => data.clear() };
  }

  const all = Array.from({ length: COUNT }, (_, i) => i);
  const warmIds = all.slice(0, Math.min(10, COUNT)).map((i) => `w${i}`);
  const variant = await prepare(warmIds, all);
  await variant.run(warmIds);
  globalThis.gc?.();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10);
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await variant.run(all);
  const ms = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  variant.done();
  console.log(JSON.stringify({ imagesPerSecond: (COUNT * 1000) / ms, cpuMsPerImage: (cpu.user + cpu.system) / 1000 / COUNT, peakRssMb: peakRss / 1048576 }));
}

// --------------------------------------------------------------------------------------------- parent

/** Generates the inputs once: `<dir>/<format>/seg-<i>.<format>` and `<dir>/polygons.json`. */
async function generate() {
  const { encodeSample, makeSample } = await import('../demo/synthetic.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-inputs-'));
  const polygons = [];
  for (const format of ['png', 'jpeg']) mkdirSync(join(dir, format));
  for (let i = 0; i < COUNT; i++) {
    const sample = makeSample(i, SIZE);
    polygons.push(sample.polygons);
    for (const format of ['png', 'jpeg']) writeFileSync(join(dir, format, `seg-${i}.${format}`), (await encodeSample(i, sample, format)).data);
  }
  writeFileSync(join(dir, 'polygons.json'), JSON.stringify(polygons));
  return dir;
}

function measure(name, format, concurrency, dir, env = process.env) {
  const out = execFileSync(process.execPath, ['--expose-gc', here, '--child', name, format, String(concurrency), dir], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').at(-1));
}

const round1 = (x) => +x.toFixed(1);
const round2 = (x) => +x.toFixed(2);

async function main() {
  const dir = await generate();
  try {
    const sharp = (await import('sharp')).default;
    for (const format of ['png', 'jpeg']) {
      const rows = [];
      for (const concurrency of [1, 2, 5]) {
        // Paired rounds: each bulwark variant runs right beside its floor (order swapped every round),
        // and the ratio is taken per round, then the median: the machine's speed drifts by more than
        // 10 % over minutes, and a pair measured seconds apart drifts little.
        const pairs = [
          [MEMORY, MEMORY_FLOOR],
          [FILES, FILES_FLOOR],
        ];
        const samples = Object.fromEntries([MEMORY, MEMORY_FLOOR, FILES, FILES_FLOOR, HAND_WRITTEN, OLD].map((n) => [n, []]));
        const ratios = { [MEMORY]: [], [FILES]: [] };
        const cpuRatios = { [MEMORY]: [], [FILES]: [] };
        for (let round = 0; round < ROUNDS; round++) {
          for (const [subject, floor] of round % 2 === 0 ? pairs : [...pairs].reverse()) {
            const order = round % 2 === 0 ? [subject, floor] : [floor, subject];
            const results = Object.fromEntries(order.map((name) => [name, measure(name, format, concurrency, dir)]));
            samples[subject].push(results[subject]);
            samples[floor].push(results[floor]);
            ratios[subject].push(results[subject].imagesPerSecond / results[floor].imagesPerSecond);
            cpuRatios[subject].push(results[floor].cpuMsPerImage / results[subject].cpuMsPerImage);
          }
        }
        for (const name of [HAND_WRITTEN, OLD]) samples[name].push(measure(name, format, concurrency, dir)); // for comparison: one round
        const summary = Object.fromEntries(
          Object.entries(samples).map(([name, runs]) => [
            name,
            {
              imagesPerSecond: median(runs.map((r) => r.imagesPerSecond)),
              cpuMsPerImage: median(runs.map((r) => r.cpuMsPerImage)),
              peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
            },
          ]),
        );
        for (const [name, s] of Object.entries(summary)) {
          const floor = FLOOR_OF[name] === undefined ? undefined : summary[FLOOR_OF[name]];
          const paired = ratios[name];
          rows.push({
            concurrency,
            name,
            rounds: samples[name].length,
            imagesPerSecond: round1(s.imagesPerSecond),
            cpuMsPerImage: round1(s.cpuMsPerImage),
            peakRssMb: Math.round(s.peakRssMb),
            ratioVsFloor: floor === undefined ? 1 : round2(paired === undefined ? s.imagesPerSecond / floor.imagesPerSecond : median(paired)),
            ratioRange: paired === undefined ? '' : `${round2(Math.min(...paired))}–${round2(Math.max(...paired))}`,
            cpuRatio: floor === undefined ? 1 : round2(cpuRatios[name] === undefined ? floor.cpuMsPerImage / s.cpuMsPerImage : median(cpuRatios[name])),
            rssVsFloor: floor === undefined ? 1 : round2(s.peakRssMb / floor.peakRssMb),
          });
        }
      }
      emit(`Thumbnails (${COUNT} × ${SIZE}² ${format.toUpperCase()}, ~20 polygons each → ${BOX} px WebP)`, rows, {
        goal: 'bulwark >= 0.9x its floor, peak RSS <= floor + 50 % (issue #13)',
        isolation: `one process per variant per round; ${ROUNDS} paired rounds (bulwark beside its floor, order swapped each round): ratios are medians of the per-round ratios, ratioRange their min–max; the last two rows of each concurrency: one round, for comparison`,
        sharpConcurrency: sharp.concurrency(),
        uvThreadpool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function threadpool() {
  const dir = await generate();
  try {
    const rows = [];
    for (const pool of [1, 2, 4]) {
      for (const concurrency of [1, 2, 5, 8]) {
        const r = measure(MEMORY, 'png', concurrency, dir, { ...process.env, UV_THREADPOOL_SIZE: String(pool) });
        rows.push({ UV_THREADPOOL_SIZE: pool, concurrency, imagesPerSecond: round1(r.imagesPerSecond), cpuMsPerImage: round1(r.cpuMsPerImage), peakRssMb: Math.round(r.peakRssMb) });
      }
    }
    emit(`bulwark thumbnails by UV_THREADPOOL_SIZE and concurrency (${COUNT} PNG images, MemoryStorage)`, rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mode = process.argv[2];
if (mode === '--child') await child(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6]);
else if (mode === '--threadpool') await threadpool();
else await main();
