import { BulwarkError } from './bulwark-error.js';

const CODE = 'ERR_BULWARK_TASK_TIMEOUT';

/**
 * A `ConcurrencyManager` task ran longer than its `timeoutMs`: its signal aborted with this error and
 * its `run` promise rejected with it. Retriable. The task's slot stays taken until the function
 * actually settles (see `ConcurrencyStatus.timedOut`).
 */
export class TaskTimeoutError extends BulwarkError {
  static readonly code = CODE;
  override name = 'TaskTimeoutError';
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  /** The task's `id`, when it was given one. */
  readonly taskId: string | undefined;

  constructor(timeoutMs: number, taskId?: string) {
    super(CODE, `Task ${taskId === undefined ? '' : `"${taskId}" `}timed out after ${timeoutMs}ms`);
    this.timeoutMs = timeoutMs;
    this.taskId = taskId;
  }
}
