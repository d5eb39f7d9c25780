import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Channel } from '../../src/internal/channel.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('Channel', () => {
  it('wakes every blocked producer as the consumer drains (no deadlock with several producers)', async () => {
    const channel = new Channel<number>(2);
    const released: number[] = [];
    const sends = [1, 2, 3, 4, 5].map((n) => channel.send(n).then(() => released.push(n)));
    await flush();
    // 1 is below the mark; 2..5 each filled it and wait.
    expect(released).toEqual([1]);
    const received: number[] = [];
    for (let i = 0; i < 5; i++) {
      const next = await channel.receive();
      if (next.done !== true) received.push(next.value);
    }
    await Promise.all(sends);
    expect(received).toEqual([1, 2, 3, 4, 5]);
    expect(released.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('close(): the buffer is received, then done; later sends are dropped', async () => {
    const channel = new Channel<string>(10);
    await channel.send('a');
    channel.close();
    await channel.send('b');
    expect(await channel.receive()).toEqual({ done: false, value: 'a' });
    expect(await channel.receive()).toEqual({ done: true, value: undefined });
  });

  it('cancel(): releases blocked producers and a waiting consumer, drops the buffer', async () => {
    const channel = new Channel<number>(1);
    const blocked = [channel.send(1), channel.send(2)];
    const consumer = new Channel<number>(1).receive();
    void consumer;
    channel.cancel();
    await Promise.all(blocked);
    expect(channel.size).toBe(0);
    expect(await channel.receive()).toEqual({ done: true, value: undefined });
  });

  it('a consumer waiting on an empty channel wakes on send and on close', async () => {
    const channel = new Channel<number>(1);
    const first = channel.receive();
    void channel.send(7);
    expect(await first).toEqual({ done: false, value: 7 });
    const second = channel.receive();
    channel.close();
    expect(await second).toEqual({ done: true, value: undefined });
  });

  it('property: any interleaving of sends and receives delivers every value once, in order, and never leaves a producer blocked below the mark', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(fc.boolean(), { maxLength: 60 }), async (highWater, steps) => {
        const channel = new Channel<number>(highWater);
        let sent = 0;
        const pending = new Set<number>();
        const received: number[] = [];
        for (const isSend of steps) {
          if (isSend) {
            const n = sent++;
            pending.add(n);
            void channel.send(n).then(() => pending.delete(n));
          } else if (channel.size > 0) {
            const next = await channel.receive();
            if (next.done !== true) received.push(next.value);
          }
          await flush();
          // Invariant: below the mark, nobody waits.
          if (channel.size < highWater) expect(pending.size).toBe(0);
        }
        channel.close();
        for (let next = await channel.receive(); next.done !== true; next = await channel.receive()) received.push(next.value);
        await flush();
        expect(pending.size).toBe(0);
        expect(received).toEqual(Array.from({ length: sent }, (_, i) => i));
      }),
      { numRuns: 200 },
    );
  });
});
