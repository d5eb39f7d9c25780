#!/usr/bin/env node
// The main job: a segmentation batch of 230 images whose thumbnails must all exist, on storage that
// fails transiently. Every thumbnail is generated (retries absorb the faults), nothing fails silently,
// and a lost batch is recovered by regenerateMissing. Output: demo-output/ (thumbnails + contact sheet).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { FileSystemStorage, MemoryRepository, MemoryStorage, ThumbnailManager } from 'bulwark/thumbnails';
import { encodeSample, makeSample, prng } from './synthetic.mjs';

const COUNT = Number(process.env.DEMO_COUNT ?? 230);
const SIZE = Number(process.env.DEMO_SIZE ?? 1024);
const OUT = join(process.cwd(), 'demo-output');
const PROJECT = 'spheroids-2026-11';

await rm(OUT, { recursive: true, force: true });
await mkdir(OUT, { recursive: true });

// 1. The uploaded batch: synthetic spheroid images and their segmentation polygons.
const t0 = performance.now();
const images = new MemoryStorage();
const repository = new MemoryRepository();
const kinds = {};
for (let i = 0; i < COUNT; i++) {
  const sample = makeSample(i, SIZE);
  const { kind, data } = await encodeSample(i, sample);
  kinds[kind] = (kinds[kind] ?? 0) + 1;
  const id = `seg-${String(i).padStart(3, '0')}`;
  const imageKey = `images/${PROJECT}/${id}.${kind === 'tiff16' ? 'tif' : kind === 'jpeg' ? 'jpg' : kind}`;
  await images.put(imageKey, data, { contentType: 'application/octet-stream' });
  repository.add({ id, projectId: PROJECT, imageKey, polygons: sample.polygons });
}
const polygons = repository.records().reduce((n, r) => n + r.polygons.length, 0);
console.log(`Generated ${COUNT} synthetic ${SIZE}x${SIZE} microscopy images (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}), ${polygons} polygons, in ${((performance.now() - t0) / 1000).toFixed(1)}s`);

// 2. Thumbnail storage on disk, failing transiently (EBUSY / ETIMEDOUT) on a seeded 30 % of writes —
//    at most 3 times in a row for one key, the way a busy NFS mount or a network volume behaves.
const disk = new FileSystemStorage({ root: OUT });
const random = prng(42);
const streak = new Map();
let injected = 0;
const flakyDisk = {
  async put(key, data, meta) {
    const failures = streak.get(key) ?? 0;
    if (failures < 3 && random() < 0.3) {
      streak.set(key, failures + 1);
      injected++;
      const code = random() < 0.5 ? 'EBUSY' : 'ETIMEDOUT';
      throw Object.assign(new Error(`${code}: injected fault writing ${key}`), { code, syscall: 'open' });
    }
    streak.delete(key);
    return disk.put(key, data, meta);
  },
  get: (key) => disk.get(key),
  exists: (key) => disk.exists(key),
  delete: (key) => disk.delete(key),
};

const manager = new ThumbnailManager({
  storage: flakyDisk,
  imageStorage: images,
  repository,
  format: 'webp',
  quality: 80,
  concurrency: 5,
  retry: { maxAttempts: 5, initialDelayMs: 50, maxDelayMs: 1000 },
  colors: { classes: { spheroid: '#FF0000', cell: '#FFD400' } },
});

// 3. Generate every thumbnail, awaited, with a progress bar.
const bar = (p) => {
  const width = 30;
  const filled = Math.round(((p.percent ?? 0) / 100) * width);
  const line = `  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.completed}/${p.total} ${(p.percent ?? 0).toFixed(0)}%  ${p.ratePerSecond.toFixed(1)} img/s  ETA ${((p.etaMs ?? 0) / 1000).toFixed(1)}s  failed ${p.failed}`;
  process.stdout.write(process.stdout.isTTY ? `\r${line}` : `${line}\n`);
};
const ids = repository.records().map((r) => r.id);
const t1 = performance.now();
const report = await manager.generateMany(ids, { onProgress: bar, progressIntervalMs: process.stdout.isTTY ? 100 : 2000 });
if (process.stdout.isTTY) process.stdout.write('\n');
const seconds = (performance.now() - t1) / 1000;
const metrics = manager.metrics();
const batchFaults = injected;
console.log(`\nReport: ${report.succeeded}/${report.total} thumbnails generated, ${report.failed.length} failed, ${report.notProcessed.length} not processed`);
console.log(`  ${report.attempts} attempts for ${report.total} images: ${report.attempts - report.total} retries absorbed ${batchFaults} injected storage faults`);
console.log(`  ${seconds.toFixed(1)}s, ${(report.total / seconds).toFixed(1)} images/s at concurrency 5; success rate ${(metrics.successRate * 100).toFixed(1)}%`);
for (const failure of report.failed) console.log(`  FAILED ${failure.item}: ${failure.error instanceof Error ? failure.error.message : String(failure.error)}`);

// 4. Recovery: the old backend lost thumbnails silently. Simulate 20 lost records, then recover them.
for (const id of ids.slice(40, 60)) repository.forgetThumbnail(id);
const dry = await manager.regenerateMissing({ projectId: PROJECT, dryRun: true });
const recovered = await manager.regenerateMissing({ projectId: PROJECT });
const final = await manager.regenerateMissing({ projectId: PROJECT, dryRun: true });
const recoveryFaults = injected - batchFaults;
console.log(`\nRecovery: ${dry.missingThumbnails} missing found by a dry run, ${recovered.regeneratedCount} regenerated (${recovered.failedCount} failed, ${recoveryFaults} injected storage faults absorbed), ${final.missingThumbnails} missing now`);

// 5. A contact sheet of every thumbnail, for a person to look at.
const cell = 150;
const columns = Math.ceil(Math.sqrt(COUNT));
const rows = Math.ceil(COUNT / columns);
const tiles = await Promise.all(
  ids.map(async (id, i) => ({
    input: await sharp(await disk.get(repository.thumbnailOf(id).key)).resize(cell, cell, { fit: 'contain', background: '#202020' }).toBuffer(),
    left: (i % columns) * cell,
    top: Math.floor(i / columns) * cell,
  })),
);
const sheet = join(OUT, 'contact-sheet.png');
await sharp({ create: { width: columns * cell, height: rows * cell, channels: 3, background: '#202020' } }).composite(tiles).png().toFile(sheet);
await writeFile(join(OUT, 'report.json'), JSON.stringify({ succeeded: report.succeeded, failed: report.failed.length, attempts: report.attempts, injectedFaults: { batch: batchFaults, recovery: recoveryFaults, total: injected }, seconds, recovery: recovered }, null, 2));
console.log(`\nThumbnails: ${join(OUT, 'thumbnails', PROJECT)}/  Contact sheet: ${sheet}`);

// The final check reads the disk, not the repository: every recorded thumbnail is a real file.
const onDisk = await Promise.all(
  ids.map((id) => {
    const key = repository.thumbnailOf(id)?.key;
    return key === undefined ? false : disk.exists(key);
  }),
);
const missingFiles = onDisk.filter((exists) => !exists).length;
const ok = report.succeeded === COUNT && final.missingThumbnails === 0 && recovered.failedCount === 0 && missingFiles === 0;
console.log(ok ? `\nOK: every thumbnail exists on disk (${onDisk.length} files checked).` : `\nFAILED: ${missingFiles} thumbnail files are missing.`);
process.exit(ok ? 0 : 1);
