import { messageOf } from '../errors/message.js';
import { randomUUID } from 'node:crypto';
import type { Job, JobsOptions, Queue } from 'bullmq';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { classifiedProcessor, verdicts, type ClassifiedProcessorOptions, type JobVerdict } from './classified.js';

/** What a thumbnail job carries. */
export interface ThumbnailJobData {
  /** The segmentation (record) id to generate the thumbnail of. */
  readonly id: string;
  /** The batch it was enqueued with. */
  readonly batchId: string;
}

/** What the worker writes to a job's log on each failed attempt (a line `bulwark:` + JSON). */
export type ThumbnailFailure = JobVerdict & { readonly message: string };

const LOG_PREFIX = 'bulwark:';

/** What a thumbnail job returns. */
export interface ThumbnailJobResult {
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** In-process attempts of this BullMQ attempt (1 when BullMQ does the retrying). */
  readonly attempts: number;
}

/**
 * The part of `ThumbnailManager` a worker uses (give it a manager made with `retry: { maxAttempts: 1 }`
 * so BullMQ's attempts, which survive a crash, do the retrying).
 */
export interface ThumbnailGenerator {
  generate(id: string, options?: { readonly signal?: AbortSignal }): Promise<{ readonly key: string; readonly width: number; readonly height: number; readonly bytes: number; readonly attempts: number }>;
}

/** A batch of enqueued thumbnails: pass it to `thumbnailBatchReport`. Plain data: it can be stored or sent. */
export interface ThumbnailBatch {
  readonly batchId: string;
  readonly ids: readonly string[];
}

/** Options of `enqueueThumbnails`. */
export interface EnqueueThumbnailsOptions {
  /** @default a random UUID */
  readonly batchId?: string;
  /** BullMQ attempts per job (first included). Minimum: `1`. @default 5 */
  readonly attempts?: number;
  /**
   * More BullMQ job options (priority, removeOnComplete…); `jobId`, `attempts` and `backoff` are bulwark's.
   * @default none (BullMQ's defaults: finished jobs are kept)
   */
  readonly jobOptions?: Omit<JobsOptions, 'jobId' | 'attempts' | 'backoff'>;
}

/** Where a batch stands. */
export interface ThumbnailBatchReport {
  readonly batchId: string;
  readonly total: number;
  /** Ids whose thumbnail was generated and recorded. */
  readonly succeeded: readonly string[];
  /** Ids that failed for good, with bulwark's verdict. */
  readonly failed: ReadonlyArray<{ readonly id: string; readonly code: string | undefined; readonly reason: string | undefined; readonly message: string; readonly attempts: number }>;
  /** Ids not finished yet (waiting, delayed for a retry, active) or whose job is gone. */
  readonly notProcessed: readonly string[];
  /** `succeeded + failed` out of `total`, 0..1. */
  readonly progress: number;
  /** Whether every job has finished (succeeded or failed for good). */
  readonly done: boolean;
}

/** `encodeURIComponent`, dots included: the dot separates the batch from the id. */
function part(value: string, name: string): string {
  try {
    return encodeURIComponent(value).replace(/\./g, '%2E');
  } catch {
    throw new InvalidOptionError(name, 'a well-formed string (no lone surrogate)', value);
  }
}

/**
 * The BullMQ job id of a batch's thumbnail: stable, so enqueueing the same batch twice adds nothing;
 * unambiguous (batch `a.b` with id `c` and batch `a` with id `b.c` differ), and never containing `:`.
 */
export function thumbnailJobId(batchId: string, id: string): string {
  return `${part(batchId, 'batchId')}.${part(id, 'id')}`;
}

/**
 * Enqueues thumbnail jobs for `ids` (from any instance): one job per id, with a stable job id per
 * batch, bulwark's backoff (`backoff: { type: 'bulwark' }`: give workers `bulwarkBackoff()`), and
 * `attempts`. Returns the batch, for {@link thumbnailBatchReport}.
 *
 * @throws {InvalidOptionError} when `ids` is not an array of non-empty strings.
 */
export async function enqueueThumbnails(queue: Queue<ThumbnailJobData, ThumbnailJobResult>, ids: readonly string[], options: EnqueueThumbnailsOptions = {}): Promise<ThumbnailBatch> {
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || id === '')) throw new InvalidOptionError('ids', 'an array of non-empty strings', ids);
  const batchId = options.batchId ?? randomUUID();
  if (typeof batchId !== 'string' || batchId === '') throw new InvalidOptionError('batchId', 'a non-empty string', batchId);
  const attempts = options.attempts ?? 5;
  if (!Number.isInteger(attempts) || attempts < 1) throw new InvalidOptionError('attempts', 'an integer >= 1', attempts);
  const unique = [...new Set(ids)];
  const jobIds = unique.map((id) => thumbnailJobId(batchId, id)); // validates every id before anything is added
  await queue.addBulk(
    unique.map((id, index) => ({
      name: 'thumbnail',
      data: { id, batchId },
      opts: { ...options.jobOptions, jobId: jobIds[index] as string, attempts, backoff: { type: 'bulwark' } },
    })),
  );
  return { batchId, ids: unique };
}

/**
 * Where a batch stands, read from BullMQ (two round trips per job, in parallel): succeeded, failed
 * for good with bulwark's verdict (code, reason), and not processed yet. Keep finished jobs
 * (`removeOnComplete` / `removeOnFail` off or generous) for as long as you want to report on them.
 */
export async function thumbnailBatchReport(queue: Queue<ThumbnailJobData, ThumbnailJobResult>, batch: ThumbnailBatch): Promise<ThumbnailBatchReport> {
  const rows = await Promise.all(
    batch.ids.map(async (id) => {
      const jobId = thumbnailJobId(batch.batchId, id);
      // The state first, then the job: a finished job's data read after its state is final (read the
      // other way round, a job finishing in between would report its previous attempt).
      const state = await queue.getJobState(jobId);
      const job = (await queue.getJob(jobId)) as Job<ThumbnailJobData, ThumbnailJobResult> | undefined;
      return { id, job, state: job === undefined ? 'missing' : state };
    }),
  );
  const succeeded: string[] = [];
  const failed: Array<{ readonly id: string; readonly job: Job<ThumbnailJobData, ThumbnailJobResult> }> = [];
  const notProcessed: string[] = [];
  for (const { id, job, state } of rows) {
    if (state === 'completed') succeeded.push(id);
    else if (state === 'failed' && job !== undefined) failed.push({ id, job });
    else notProcessed.push(id);
  }
  // The verdict of a failed job's last attempt, from its log (one more round trip, failed jobs only).
  const failures = await Promise.all(
    failed.map(async ({ id, job }) => {
      const { logs } = await queue.getJobLogs(job.id as string, -1, -1);
      const failure = parseFailure(logs[0]);
      return { id, code: failure?.code, reason: failure?.reason, message: failure?.message ?? job.failedReason, attempts: job.attemptsMade };
    }),
  );
  const total = batch.ids.length;
  return { batchId: batch.batchId, total, succeeded, failed: failures, notProcessed, progress: total === 0 ? 1 : (succeeded.length + failed.length) / total, done: notProcessed.length === 0 };
}

function parseFailure(line: string | undefined): ThumbnailFailure | undefined {
  if (line === undefined || !line.startsWith(LOG_PREFIX)) return undefined;
  try {
    const value: unknown = JSON.parse(line.slice(LOG_PREFIX.length));
    return typeof value === 'object' && value !== null ? (value as ThumbnailFailure) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The BullMQ processor of thumbnail jobs: `generator.generate(id)` with the job's signal, driven by
 * bulwark's classifiers (see `classifiedProcessor`): bad input fails the job at once, transient faults
 * go back to BullMQ for another attempt with bulwark's backoff. Every failed attempt appends
 * bulwark's verdict to the job's log (a `bulwark:` line): whichever attempt turns out to be the last (the
 * attempts ran out, the backoff gave up on a long `Retry-After`, the error was permanent), the batch
 * report has its code and reason.
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { bulwarkBackoff, thumbnailProcessor } from 'bulwark/bullmq';
 * import { MemoryRepository, MemoryStorage, ThumbnailManager } from 'bulwark/thumbnails';
 *
 * const manager = new ThumbnailManager({ storage: new MemoryStorage(), repository: new MemoryRepository(), retry: { maxAttempts: 1 } });
 * new Worker('thumbnails', thumbnailProcessor(manager), { connection: { host: '127.0.0.1', port: 6379 }, concurrency: 5, settings: { backoffStrategy: bulwarkBackoff() } });
 * ```
 */
export function thumbnailProcessor(generator: ThumbnailGenerator, options: ClassifiedProcessorOptions = {}): (job: Job<ThumbnailJobData, ThumbnailJobResult>, token?: string, signal?: AbortSignal) => Promise<ThumbnailJobResult> {
  if (typeof generator?.generate !== 'function') throw new InvalidOptionError('generator', 'a ThumbnailManager (an object with generate(id))', generator);
  const process = classifiedProcessor<ThumbnailJobData, ThumbnailJobResult>(async (job, _token, signal) => {
    const result = await generator.generate(job.data.id, signal === undefined ? {} : { signal });
    return { key: result.key, width: result.width, height: result.height, bytes: result.bytes, attempts: result.attempts };
  }, options);
  return async (job, token, signal) => {
    try {
      return await process(job, token, signal);
    } catch (error) {
      const verdict = typeof error === 'object' && error !== null ? verdicts.get(error) : undefined;
      if (verdict !== undefined) {
        // Appended to the job's log, not written into its data: nothing anyone else wrote is lost.
        const failure: ThumbnailFailure = { ...verdict, message: messageOf(error) };
        await job.log(`${LOG_PREFIX}${JSON.stringify(failure)}`).catch(() => undefined);
      }
      throw error;
    }
  };
}
