// bulwark/queue: a worker loop that never loses a job. No runtime dependency.
export { QueueProcessor } from './queue-processor.js';
export type { JobContext, QueueEvent, QueueEvents, QueueMetrics, QueueProcessorOptions, Settlement } from './queue-processor.js';
export { MemoryJobSource } from './memory-job-source.js';
export type { DeadLetteredJob } from './memory-job-source.js';
export type { Job, JobSource, PullOptions } from './ports.js';
export { LeaseLostError } from './lease-lost-error.js';
export { isLeaseLostError } from './guards.js';
