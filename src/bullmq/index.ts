// bulwark/bullmq: bulwark's classifiers and backoff driving BullMQ's own retries, and thumbnail
// generation spread over BullMQ workers. `bullmq` is an optional peer.
export { bulwarkBackoff, classifiedProcessor } from './classified.js';
export type { BulwarkBackoffOptions, ClassifiedProcessorOptions, JobVerdict } from './classified.js';
export { enqueueThumbnails, thumbnailBatchReport, thumbnailJobId, thumbnailProcessor } from './thumbnails.js';
export type { EnqueueThumbnailsOptions, ThumbnailBatch, ThumbnailBatchReport, ThumbnailFailure, ThumbnailGenerator, ThumbnailJobData, ThumbnailJobResult } from './thumbnails.js';
