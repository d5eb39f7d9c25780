#!/usr/bin/env node
// Runs the example end to end (in CI too): starts the Express app on localhost, uploads 230 synthetic
// images, segments them in 10 batches of 23 through the API (each request awaits its thumbnails),
// then asks the recovery endpoint what is missing. Exits 1 unless every thumbnail exists.
import { once } from 'node:events';
import http from 'node:http';
import { MemoryRepository, MemoryStorage, ThumbnailManager } from 'bulwark/thumbnails';
import { encodeSample, makeSample } from '../../demo/synthetic.mjs';
import { createApp } from './app.mjs';

const COUNT = 230;
const BATCH = 23;
const SIZE = 256;
const PROJECT = 'demo-project';

const storage = new MemoryStorage();
const repository = new MemoryRepository();
const samples = new Map();
for (let i = 0; i < COUNT; i++) {
  const sample = makeSample(i, SIZE);
  const imageKey = `uploads/${PROJECT}/img-${i}.png`;
  await storage.put(imageKey, (await encodeSample(i, sample, 'png')).data, { contentType: 'image/png' });
  samples.set(imageKey, sample.polygons);
}
// The "model": returns the polygons the generator drew.
const segment = async (imageKey) => samples.get(imageKey) ?? [];
const thumbnails = new ThumbnailManager({ storage, repository, format: 'webp', concurrency: 5, retry: { maxAttempts: 3, initialDelayMs: 100 } });

const server = http.createServer(createApp({ thumbnails, repository, segment }));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${server.address().port}`;

let generated = 0;
for (let start = 0; start < COUNT; start += BATCH) {
  const images = Array.from({ length: Math.min(BATCH, COUNT - start) }, (_, k) => ({ id: `seg-${start + k}`, imageKey: `uploads/${PROJECT}/img-${start + k}.png` }));
  const response = await fetch(`${base}/api/projects/${PROJECT}/segmentations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ images }) });
  const body = await response.json();
  generated += body.data.thumbnails;
  console.log(`batch ${start / BATCH + 1}: ${response.status} segmented ${body.data.segmented}, thumbnails ${body.data.thumbnails}, failed ${body.data.failed.length}`);
}

const check = await (await fetch(`${base}/api/projects/${PROJECT}/regenerate-thumbnails?dryRun=true`, { method: 'POST' })).json();
const bad = await fetch(`${base}/api/projects/${PROJECT}/regenerate-thumbnails?limit=0`, { method: 'POST' });
console.log(`recovery endpoint: ${check.data.totalImages} images, ${check.data.missingThumbnails} missing; limit=0 → ${bad.status}`);
server.close();

const ok = generated === COUNT && check.data.totalImages === COUNT && check.data.missingThumbnails === 0 && bad.status === 400;
console.log(ok ? `OK: ${COUNT} thumbnails generated and awaited, nothing missing.` : 'FAILED');
process.exit(ok ? 0 : 1);
