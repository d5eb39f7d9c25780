// Thumbnails beyond one process (issue #16), after `npm run build`, with PostgreSQL and Redis
// installed (started here on free ports, in temporary directories):
//  1. thumbnails per second through BullMQ with 1, 2 and 4 worker processes (2 jobs each), the same
//     230 generated 1024² PNGs → 300 px WebP, PostgreSQL repository, files on disk;
//  2. the per-job cost of the BullMQ path (enqueue, Redis round trips, completion) against
//     bulwark's in-process BatchProcessor, on a job that does nothing.
import { fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents, Worker } from 'bullmq';
import pg from 'pg';
import { BatchProcessor } from 'bulwark';
import { enqueueThumbnails, thumbnailBatchReport, thumbnailProcessor } from 'bulwark/bullmq';
import { postgresSchema } from 'bulwark/postgres';
import { encodeSample, makeSample } from '../demo/synthetic.mjs';
import { findPostgres, findRedis, startPostgres, startRedis } from '../scripts/servers.mjs';
import { emit } from './lib.mjs';

if (findPostgres() === undefined || findRedis() === undefined) {
  emit('Thumbnails through BullMQ workers', [], { skipped: 'needs PostgreSQL and redis-server (apt-get install postgresql redis-server)' });
  process.exit(0);
}

const COUNT = Number(process.env.BENCH_IMAGES ?? 230);
const NOOP_JOBS = Number(process.env.BENCH_JOBS ?? 5000);
const here = dirname(fileURLToPath(import.meta.url));
const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
const connection = { host: redis.host, port: redis.port, maxRetriesPerRequest: null };
const uploads = await mkdtemp(join(tmpdir(), 'bulwark-bench-distributed-'));
const pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
pool.on('error', () => undefined);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
try {
  for (const statement of postgresSchema()) await pool.query(statement);
  await mkdir(join(uploads, 'images'), { recursive: true });
  for (let i = 0; i < COUNT; i++) {
    const sample = makeSample(i, 1024);
    await writeFile(join(uploads, 'images', `${i}.png`), (await encodeSample(i, sample, 'png')).data);
    await pool.query(`INSERT INTO bulwark_images (id, project_id, image_key, segmentation_status) VALUES ($1, 'bench', $2, 'completed')`, [`img-${i}`, `images/${i}.png`]);
    await pool.query(`INSERT INTO bulwark_segmentations (image_id, polygons) VALUES ($1, $2::jsonb)`, [`img-${i}`, JSON.stringify(sample.polygons)]);
  }

  const rows = [];
  for (const workers of [1, 2, 4]) {
    await pool.query(`UPDATE bulwark_images SET thumbnail_key = NULL`);
    await rm(join(uploads, 'thumbnails'), { recursive: true, force: true });
    const name = `bench-${workers}`;
    const children = [];
    for (let w = 0; w < workers; w++) {
      const child = fork(join(here, '..', 'examples', 'distributed', 'worker.mjs'), [redis.url, postgres.url, uploads, name], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      children.push(child);
      await new Promise((resolve) => child.once('message', resolve));
    }
    const queue = new Queue(name, { connection });
    const start = performance.now();
    const batch = await enqueueThumbnails(queue, Array.from({ length: COUNT }, (_, i) => `img-${i}`));
    let report = await thumbnailBatchReport(queue, batch);
    while (!report.done) {
      await sleep(50);
      report = await thumbnailBatchReport(queue, batch);
    }
    const seconds = (performance.now() - start) / 1000;
    await queue.close();
    await Promise.all(children.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.send('stop')))));
    rows.push({ workerProcesses: workers, jobsPerWorker: 2, succeeded: report.succeeded.length, failed: report.failed.length, imagesPerSecond: +(COUNT / seconds).toFixed(1) });
  }
  const base = rows[0].imagesPerSecond;
  for (const row of rows) row.scaling = +(row.imagesPerSecond / base).toFixed(2);
  emit(`Thumbnails through BullMQ workers (${COUNT} × 1024² PNG → 300 px WebP, PostgreSQL repository, files on disk)`, rows, { cores: 2, note: 'each worker process runs 2 jobs at once; sharp uses the thread pool of each process' });

  // Per-job overhead on a job that does nothing.
  const noop = { generate: async (id) => ({ key: id, width: 1, height: 1, bytes: 1, attempts: 1 }) };
  const overhead = [];
  {
    const processor = new BatchProcessor({ concurrency: 5, batchSize: 1000 });
    const items = Array.from({ length: NOOP_JOBS }, (_, i) => `job-${i}`);
    const start = performance.now();
    const report = await processor.process(items, (id) => noop.generate(id));
    const ms = performance.now() - start;
    overhead.push({ path: 'in-process BatchProcessor (concurrency 5)', jobs: typeof report.succeeded === 'number' ? report.succeeded : report.succeeded.length, usPerJob: +((ms * 1000) / NOOP_JOBS).toFixed(1) });
  }
  {
    const name = 'bench-noop';
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection });
    await events.waitUntilReady();
    const worker = new Worker(name, thumbnailProcessor(noop), { connection, concurrency: 5 });
    await worker.waitUntilReady();
    const start = performance.now();
    const done = new Promise((resolve) => {
      let completed = 0;
      events.on('completed', () => ++completed === NOOP_JOBS && resolve());
    });
    const batch = await enqueueThumbnails(queue, Array.from({ length: NOOP_JOBS }, (_, i) => `job-${i}`));
    await done;
    const ms = performance.now() - start;
    const report = await thumbnailBatchReport(queue, batch);
    overhead.push({ path: 'BullMQ: enqueueThumbnails + Worker(thumbnailProcessor) (concurrency 5, same process)', jobs: report.succeeded.length, usPerJob: +((ms * 1000) / NOOP_JOBS).toFixed(1) });
    await worker.close();
    await events.close();
    await queue.close();
  }
  overhead[1].ratio = +(overhead[1].usPerJob / overhead[0].usPerJob).toFixed(1);
  overhead[0].ratio = 1;
  emit(`Per-job overhead of the BullMQ path (${NOOP_JOBS.toLocaleString('en')} jobs that do nothing)`, overhead, { redis: 'localhost, no persistence' });
} finally {
  await pool.end();
  await Promise.all([postgres.stop(), redis.stop()]);
  await rm(uploads, { recursive: true, force: true });
}
