#!/usr/bin/env node
// One thumbnail worker process: a BullMQ worker running ThumbnailManager over the shared PostgreSQL
// repository and the shared uploads directory. Start as many as you like, on as many machines:
//   node worker.mjs <redis-url> <database-url> <uploads-dir> [queue-name]
import { Worker } from 'bullmq';
import pg from 'pg';
import { bulwarkBackoff, thumbnailProcessor } from 'bulwark/bullmq';
import { PostgresRepository } from 'bulwark/postgres';
import { FileSystemStorage, ThumbnailManager } from 'bulwark/thumbnails';

const [redisUrl, databaseUrl, uploads, queueName = 'thumbnails'] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
pool.on('error', (error) => console.error(`worker ${process.pid}: idle database client: ${error.message}`));

const manager = new ThumbnailManager({
  storage: new FileSystemStorage({ root: uploads }),
  repository: new PostgresRepository({ pool }),
  format: 'webp',
  // BullMQ's attempts do the retrying (they survive a crash of this process).
  retry: { maxAttempts: 1 },
});
const { hostname, port } = new URL(redisUrl);
const worker = new Worker(queueName, thumbnailProcessor(manager), {
  connection: { host: hostname, port: Number(port), maxRetriesPerRequest: null },
  concurrency: 2,
  settings: { backoffStrategy: bulwarkBackoff({ initialDelayMs: 200 }) },
});
worker.on('failed', (job, error) => console.error(`worker ${process.pid}: ${job?.data.id} failed: ${error.message}`));
worker.on('ready', () => process.send?.('ready'));

const shutdown = async () => {
  await worker.close(); // finishes the jobs in hand
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('message', (message) => message === 'stop' && shutdown());
