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

  /** Removes and returns every node, in order. */
  drain(): N[] {
    const nodes: N[] = [];
    for (let node = this.shift(); node !== undefined; node = this.shift()) nodes.push(node);
    return nodes;
  }
}

/** @internal One FIFO per priority, highest priority first. A single priority (the usual case) is one list. */
export class PriorityQueue<N extends Linked<N> & { priority: number }> {
  /** Sorted by descending priority; few distinct priorities in practice. */
  readonly #levels: Array<{ priority: number; queue: LinkedQueue<N> }> = [];

  #level(priority: number): LinkedQueue<N> {
    const levels = this.#levels;
    let i = 0;
    while (i < levels.length && (levels[i] as { priority: number }).priority > priority) i++;
    const found = levels[i];
    if (found !== undefined && found.priority === priority) return found.queue;
    const queue = new LinkedQueue<N>();
    levels.splice(i, 0, { priority, queue });
    return queue;
  }

  push(node: N): void {
    const first = this.#levels[0];
    if (first !== undefined && first.priority === node.priority) first.queue.push(node);
    else this.#level(node.priority).push(node);
  }

  /** Puts a node back at the front of its priority (it was dequeued earlier than everything there). */
  unshift(node: N): void {
    this.#level(node.priority).unshift(node);
  }

  shift(): N | undefined {
    for (const level of this.#levels) {
      const node = level.queue.shift();
      if (node !== undefined) return node;
    }
    return undefined;
  }

  drain(): N[] {
    const nodes: N[] = [];
    for (const level of this.#levels) nodes.push(...level.queue.drain());
    return nodes;
  }
}
