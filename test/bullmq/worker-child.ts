// A thumbnail worker process for the kill-a-worker test: a BullMQ worker running ThumbnailManager
// over PostgreSQL (the shared repository) and a FileSystemStorage directory (the shared storage).
// Reports each job it starts to its parent over IPC; storage writes are slowed so that a SIGKILL
// lands in the middle of a job.
import { Worker } from 'bullmq';
import pg from 'pg';
import { bulwarkBackoff, thumbnailProcessor } from '../../src/bullmq/index.js';
import { PostgresRepository } from '../../src/postgres/index.js';
import { FileSystemStorage, ThumbnailManager, type ThumbnailStorage } from '../../src/thumbnails/index.js';

const [redisPort, databaseUrl, root, queueName] = process.argv.slice(2) as [string, string, string, string];
const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
pool.on('error', () => undefined);
const files = new FileSystemStorage({ root });
const slow: ThumbnailStorage = {
  get: (key) => files.get(key),
  exists: (key) => files.exists(key),
  delete: (key) => files.delete(key),
  put: async (key, data, meta) => {
    await new Promise((resolve) => setTimeout(resolve, 150));
    await files.put(key, data, meta);
  },
};
const manager = new ThumbnailManager({ storage: slow, repository: new PostgresRepository({ pool }), format: 'png', width: 64, height: 64, retry: { maxAttempts: 1 } });
const processor = thumbnailProcessor(manager);
const worker = new Worker(
  queueName,
  async (job, token, signal) => {
    process.send?.({ type: 'started', id: job.data.id, pid: process.pid });
    return processor(job, token, signal);
  },
  {
    connection: { host: '127.0.0.1', port: Number(redisPort), maxRetriesPerRequest: null },
    concurrency: 2,
    lockDuration: 2000,
    stalledInterval: 1000,
    settings: { backoffStrategy: bulwarkBackoff({ initialDelayMs: 50, jitter: 'none' }) },
  },
);
worker.on('ready', () => process.send?.({ type: 'ready', pid: process.pid }));
process.on('message', async (message) => {
  if (message === 'stop') {
    await worker.close();
    await pool.end();
    process.exit(0);
  }
});
