// Shared helpers for the benchmarks. Each benchmark prints one JSON line (its results) last.
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

/**
 * Peak heap growth seen by a sampler while `fn` runs (MB above the heap after a GC just before;
 * run with --expose-gc, as bench/run.mjs does, for a clean baseline).
 */
export async function withPeakHeap(fn) {
  globalThis.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 5);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { value, peakHeapMb: (peak - base) / 1048576 };
  } finally {
    clearInterval(timer);
  }
}

export function emit(name, rows, notes = {}) {
  console.log(JSON.stringify({ name, rows, notes }));
}
