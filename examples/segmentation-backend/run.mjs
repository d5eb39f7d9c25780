#!/usr/bin/env node
// Runs the example end to end (in CI too), on the backend's own data shapes: Image and Segmentation
// rows (polygons as a JSON string with `parent_id` and `partClass`), source images and thumbnails as
// files under `uploads/<projectId>/` in a temporary directory, thumbnails named `<imageId>_<Date.now()>.webp`.
//  1. "uploads" 230 images, segments them in 10 batches of 23 through the API (each request awaits its thumbnails);
//  2. re-segments one image: a new thumbnail file, the previous one deleted;
//  3. deletes 5 thumbnail files behind the database's back: the recovery endpoint finds and regenerates them.
// Exits 1 unless every step checks out.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSample, makeSample } from '../../demo/synthetic.mjs';
import { createApp } from './app.mjs';
import { createDatabase } from './db.mjs';
import { createThumbnails, ownsBackendThumbnail } from './repository.mjs';

const COUNT = 230;
const BATCH = 23;
const SIZE = 256;
const PROJECT = 'demo-project';

const root = await mkdtemp(join(tmpdir(), 'bulwark-backend-'));
const prisma = createDatabase();
const thumbnails = createThumbnails({ prisma, root });
const failures = [];
const check = (ok, message) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
};

// Uploads, as the backend's multer route leaves them: a file under uploads/<projectId>/ and an Image row.
const modelOutput = new Map();
await mkdir(join(root, 'uploads', PROJECT), { recursive: true });
for (let i = 0; i < COUNT; i++) {
  const sample = makeSample(i, SIZE);
  const storagePath = `uploads/${PROJECT}/img-${i}.png`;
  await writeFile(join(root, storagePath), (await encodeSample(i, sample, 'png')).data);
  await prisma.image.create({ data: { id: `img-${i}`, projectId: PROJECT, name: `img-${i}.png`, storagePath, thumbnailPath: null, segmentationStatus: 'pending' } });
  modelOutput.set(storagePath, toBackendFormat(sample.polygons, i));
}
// The "model": returns polygons in the backend's format (what its ML service answers).
const segment = async (storagePath) => modelOutput.get(storagePath) ?? [];

const server = http.createServer(createApp({ thumbnails, prisma, segment }));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${server.address().port}`;
const post = async (path, body) => {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  return { status: response.status, body: await response.json() };
};
const thumbnailPath = async (id) => (await prisma.image.findUnique({ where: { id } })).thumbnailPath;

try {
  // 1. Segment everything, batch by batch.
  let generated = 0;
  for (let start = 0; start < COUNT; start += BATCH) {
    const imageIds = Array.from({ length: Math.min(BATCH, COUNT - start) }, (_, k) => `img-${start + k}`);
    const { status, body } = await post(`/api/projects/${PROJECT}/segmentations`, { imageIds });
    generated += body.data.thumbnails;
    console.log(`batch ${start / BATCH + 1}: ${status} segmented ${body.data.segmented}, thumbnails ${body.data.thumbnails}, failed ${body.data.failed.length}`);
  }
  check(generated === COUNT, `${generated}/${COUNT} thumbnails generated and awaited`);
  const rows = await prisma.image.findMany({ where: { projectId: PROJECT } });
  const named = rows.filter((row) => row.thumbnailPath !== null && ownsBackendThumbnail(row.thumbnailPath, { id: row.id, projectId: PROJECT }));
  check(named.length === COUNT, `every Image row records a thumbnail named uploads/${PROJECT}/thumbnails/<imageId>_<timestamp>.webp`);
  check(named.every((row) => existsSync(join(root, row.thumbnailPath))), 'every recorded thumbnail is a file on disk');

  // 2. Re-segment one image: a new file, the old one gone, the source image untouched.
  const before = await thumbnailPath('img-0');
  await new Promise((resolve) => setTimeout(resolve, 2)); // a new Date.now() in the name
  const again = await post(`/api/projects/${PROJECT}/segmentations`, { imageIds: ['img-0'] });
  const after = await thumbnailPath('img-0');
  check(again.status === 201 && after !== before && existsSync(join(root, after)) && !existsSync(join(root, before)), `re-segmentation: ${before.split('/').pop()} replaced by ${after.split('/').pop()}, the old file deleted`);
  check(existsSync(join(root, `uploads/${PROJECT}/img-0.png`)), 'the source image is untouched');

  // 3. Lose five files behind the database's back; the recovery endpoint finds and regenerates them.
  const lost = ['img-3', 'img-50', 'img-99', 'img-150', 'img-229'];
  for (const id of lost) await rm(join(root, await thumbnailPath(id)));
  const dry = await post(`/api/projects/${PROJECT}/regenerate-thumbnails?dryRun=true`);
  check(dry.body.data.totalImages === COUNT && dry.body.data.missingFiles === lost.length, `dry run: ${dry.body.data.totalImages} images, ${dry.body.data.missingFiles} files missing`);
  const run = await post(`/api/projects/${PROJECT}/regenerate-thumbnails`);
  const restored = await Promise.all(lost.map(async (id) => existsSync(join(root, await thumbnailPath(id)))));
  check(run.body.data.regeneratedCount === lost.length && restored.every(Boolean), `recovery: ${run.body.data.regeneratedCount} regenerated, all ${lost.length} files back`);
  const files = await readdir(join(root, 'uploads', PROJECT, 'thumbnails'));
  check(files.length === COUNT && files.every((f) => !f.includes('.tmp')), `${files.length} files in uploads/${PROJECT}/thumbnails/, no leftovers`);
  const bad = await post(`/api/projects/${PROJECT}/regenerate-thumbnails?limit=0`);
  check(bad.status === 400, `limit=0 → ${bad.status}`);
} finally {
  server.close();
  await rm(root, { recursive: true, force: true });
}

console.log(failures.length === 0 ? `OK: ${COUNT} thumbnails on the backend's own data shapes, generated, replaced and recovered.` : `FAILED: ${failures.length} check(s)`);
process.exit(failures.length === 0 ? 0 : 1);

/** The model's answer in the backend's stored format: ids, `parent_id` for holes, `partClass`, points as `{x,y}`. */
function toBackendFormat(polygons, index) {
  const ids = new Map();
  return polygons.map((p, k) => {
    const id = `${index}-${k}`;
    if (p.id !== undefined) ids.set(p.id, id);
    return { id, points: p.points, type: p.type, ...(p.parentId ? { parent_id: ids.get(p.parentId) } : {}), ...(p.class ? { partClass: p.class } : {}) };
  });
}
