/**
 * A bounded channel between many producers and one consumer, with back-pressure: `send` resolves
 * once the buffer has room again, `receive` waits for a value or the end. Every waiting producer is
 * woken as the consumer drains (none is left blocked), and `cancel()` releases them all at once.
 */
export class Channel<T> {
  readonly #highWater: number;
  #buffer: T[] = [];
  #head = 0;
  #closed = false;
  #cancelled = false;
  #consumer: (() => void) | undefined;
  #producers: Array<() => void> = [];

  /** @param highWater - the buffered values at which `send` starts waiting. Minimum: `1`. */
  constructor(highWater: number) {
    this.#highWater = highWater;
  }

  /** Values buffered and not yet received. */
  get size(): number {
    return this.#buffer.length - this.#head;
  }

  /** Whether `cancel()` was called: sends are dropped from then on. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /**
   * Buffers `value` (dropped after `cancel()` or `close()`) and resolves when the buffer is below its
   * high-water mark, or at once if it already is, or when the channel is cancelled.
   */
  async send(value: T): Promise<void> {
    if (this.#closed) return;
    this.#buffer.push(value);
    this.#wakeConsumer();
    while (this.size >= this.#highWater && !this.#cancelled) await new Promise<void>((resolve) => this.#producers.push(resolve));
  }

  /** The next value, or `done` once the channel is closed and drained (or cancelled). */
  async receive(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.#cancelled) return { done: true, value: undefined };
      if (this.size > 0) {
        const value = this.#buffer[this.#head] as T;
        this.#buffer[this.#head] = undefined as T;
        this.#head++;
        if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
          this.#buffer = this.#buffer.slice(this.#head);
          this.#head = 0;
        }
        if (this.size < this.#highWater) this.#wakeProducers();
        return { done: false, value };
      }
      if (this.#closed) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.#consumer = resolve));
    }
  }

  /** No more values will be sent: `receive` returns what is buffered, then `done`. */
  close(): void {
    this.#closed = true;
    this.#wakeConsumer();
  }

  /** Stops everything: buffered values are dropped, waiting producers and the consumer are released. */
  cancel(): void {
    this.#closed = true;
    this.#cancelled = true;
    this.#buffer = [];
    this.#head = 0;
    this.#wakeProducers();
    this.#wakeConsumer();
  }

  #wakeConsumer(): void {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    consumer?.();
  }

  #wakeProducers(): void {
    if (this.#producers.length === 0) return;
    const producers = this.#producers;
    this.#producers = [];
    for (const resolve of producers) resolve();
  }
}
