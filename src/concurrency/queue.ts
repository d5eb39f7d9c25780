/** @internal A node of an intrusive singly-linked FIFO. */
export interface Linked<N> {
  next: N | undefined;
}

/**
 * @internal An intrusive FIFO: O(1) push at both ends and shift, no per-item allocation beyond the
 * node itself (cockatiel's `Array.prototype.shift` degrades as the queue grows; this does not).
 */
export class LinkedQueue<N extends Linked<N>> {
  head: N | undefined = undefined;
  tail: N | undefined = undefined;

  push(node: N): void {
    node.next = undefined;
    if (this.tail === undefined) this.head = node;
    else this.tail.next = node;
    this.tail = node;
  }

  unshift(node: N): void {
    node.next = this.head;
    this.head = node;
    if (this.tail === undefined) this.tail = node;
  }

  shift(): N | undefined {
    const node = this.head;
    if (node === undefined) return undefined;
    this.head = node.next;
    if (this.head === undefined) this.tail = undefined;
    node.next = undefined;
    return node;
  }

  /** Calls `visit` on every node, in order, emptying the queue (no intermediate array: 1 000 000 is fine). */
  drainEach(visit: (node: N) => void): void {
    for (let node = this.shift(); node !== undefined; node = this.shift()) visit(node);
  }

  /** Puts `node` at the front, after the leading nodes for which `stayAhead` holds (walks only those). */
  insertFront(node: N, stayAhead: (ahead: N) => boolean): void {
    let previous: N | undefined;
    for (let current = this.head; current !== undefined && stayAhead(current); current = current.next) previous = current;
    if (previous === undefined) this.unshift(node);
    else this.insertAfter(previous, node);
  }

  /** Links `node` right after `previous` (a node of this queue). */
  insertAfter(previous: N, node: N): void {
    node.next = previous.next;
    previous.next = node;
    if (this.tail === previous) this.tail = node;
  }

  /** Calls `visit` on every node, in order, leaving the queue as it is. */
  forEach(visit: (node: N) => void): void {
    for (let node = this.head; node !== undefined; node = node.next) visit(node);
  }

  /** Unlinks `node` (O(n): a walk to its predecessor); returns whether it was there. */
  remove(node: N): boolean {
    let previous: N | undefined;
    for (let current = this.head; current !== undefined; previous = current, current = current.next) {
      if (current !== node) continue;
      if (previous === undefined) this.head = node.next;
      else previous.next = node.next;
      if (this.tail === node) this.tail = previous;
      node.next = undefined;
      return true;
    }
    return false;
  }
}

/**
 * @internal One FIFO per priority, highest priority first. Priorities live in a binary max-heap
 * (O(log P) for P distinct priorities) and a level is freed as soon as it is empty; the usual single
 * priority stays one list with no heap work.
 */
export class PriorityQueue<N extends Linked<N> & { priority: number }> {
  readonly #levels = new Map<number, LinkedQueue<N>>();
  /** Max-heap of the priorities that have a level. */
  readonly #heap: number[] = [];

  get levels(): number {
    return this.#heap.length;
  }

  #level(priority: number): LinkedQueue<N> {
    let level = this.#levels.get(priority);
    if (level === undefined) {
      level = new LinkedQueue<N>();
      this.#levels.set(priority, level);
      this.#heapPush(priority);
    }
    return level;
  }

  push(node: N): void {
    this.#level(node.priority).push(node);
  }

  /** Puts a node back at the front of its priority (it was dequeued earlier than everything there). */
  unshift(node: N): void {
    this.#level(node.priority).unshift(node);
  }

  shift(): N | undefined {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined) return undefined;
      const level = this.#levels.get(top) as LinkedQueue<N>;
      const node = level.shift();
      if (level.head === undefined) {
        this.#levels.delete(top);
        this.#heapPop();
      }
      if (node !== undefined) return node;
    }
  }

  /**
   * Puts `node` at the front of its priority, after the leading nodes for which `stayAhead` holds
   * (walks only those).
   */
  insertFront(node: N, stayAhead: (ahead: N) => boolean): void {
    this.#level(node.priority).insertFront(node, stayAhead);
  }

  /** Calls `visit` on every node, highest priority first, FIFO within a priority, leaving the queue as it is. */
  forEach(visit: (node: N) => void): void {
    const priorities = [...this.#heap].sort((a, b) => b - a);
    for (const priority of priorities) this.#levels.get(priority)?.forEach(visit);
  }

  /** Unlinks `node` from its priority's list (O(length of that list)); returns whether it was there. */
  remove(node: N): boolean {
    const level = this.#levels.get(node.priority);
    if (level === undefined || !level.remove(node)) return false;
    if (level.head === undefined) {
      this.#levels.delete(node.priority);
      const index = this.#heap.indexOf(node.priority);
      this.#heapRemoveAt(index);
    }
    return true;
  }

  /** Empties the queue, visiting every node, highest priority first. */
  drainEach(visit: (node: N) => void): void {
    for (let node = this.shift(); node !== undefined; node = this.shift()) visit(node);
  }

  #heapPush(value: number): void {
    const heap = this.#heap;
    let i = heap.push(value) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as number) >= value) break;
      heap[i] = heap[parent] as number;
      i = parent;
    }
    heap[i] = value;
  }

  #heapPop(): void {
    this.#heapRemoveAt(0);
  }

  /** Removes the heap entry at `index`: the last entry takes its place and moves up or down. */
  #heapRemoveAt(index: number): void {
    const heap = this.#heap;
    const last = heap.pop() as number;
    if (index >= heap.length) return;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as number) >= last) break;
      heap[i] = heap[parent] as number;
      i = parent;
    }
    if (i !== index) {
      heap[i] = last;
      return;
    }
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as number) > (heap[left] as number) ? right : left;
      if ((heap[child] as number) <= last) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = last;
  }
}
