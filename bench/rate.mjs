// Rate-limited scheduling, each library in a process of its own: 1000 starts per second, 5 at once,
// N no-op tasks queued at once. Measures the scheduling overhead (CPU per task: the run is paced by
// timers, so CPU is what the scheduler spends) and the accuracy: the most starts seen in any sliding
// window (the quota: ≤ 1000 is correct; the window is 999 ms, because each task reads its start time
// a few microseconds after its scheduler decided to start it) and how late starts are against the
// fixed schedule "task i at ⌊i / 1000⌋ s" (which a fixed window meets by design and a sliding window
// cannot: a start waits until the start 1000 places earlier is 1 s old, so the first second's spread
// repeats every second).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emit, median } from './lib.mjs';

const N = Number(process.env.BENCH_RATE_TASKS ?? 5000);
const LIMIT = 1000;
const INTERVAL = 1000;
const CONCURRENCY = 5;

const subjects = {
  'bulwark ConcurrencyManager (rate)': async () => {
    const { ConcurrencyManager } = await import('bulwark');
    const m = new ConcurrencyManager({ concurrency: CONCURRENCY, rate: { limit: LIMIT, intervalMs: INTERVAL } });
    return (fn) => m.run(fn);
  },
  'p-queue (interval, intervalCap)': async () => {
    const { default: PQueue } = await import('p-queue');
    const q = new PQueue({ concurrency: CONCURRENCY, interval: INTERVAL, intervalCap: LIMIT });
    return (fn) => q.add(fn);
  },
  'bottleneck (reservoir)': async () => {
    const { default: Bottleneck } = await import('bottleneck');
    const b = new Bottleneck({ maxConcurrent: CONCURRENCY, reservoir: LIMIT, reservoirRefreshAmount: LIMIT, reservoirRefreshInterval: INTERVAL });
    return (fn) => b.schedule(fn);
  },
};

async function child(name) {
  const run = await subjects[name]();
  const starts = new Float64Array(N);
  let count = 0;
  const task = () => {
    starts[count++] = performance.now();
    return Promise.resolve();
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: N }, () => run(task)));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  let maxInWindow = 0;
  for (let i = 0, j = 0; i < N; i++) {
    while (starts[i] - starts[j] >= INTERVAL - 1) j++;
    maxInWindow = Math.max(maxInWindow, i - j + 1);
  }
  const late = Array.from(starts, (s, i) => s - t0 - Math.floor(i / LIMIT) * INTERVAL);
  console.log(JSON.stringify({ cpuNsPerTask: ((cpu.user + cpu.system) * 1000) / N, wallMs, maxInWindow, lateMaxMs: Math.max(...late), lateP50Ms: median(late) }));
}

const subjectArg = process.argv.indexOf('--subject');
if (subjectArg !== -1) await child(process.argv[subjectArg + 1]);
else {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const names = Object.keys(subjects);
  const results = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--subject', name], { encoding: 'utf8' });
      results[name].push(JSON.parse(out.trim().split('\n').at(-1)));
    }
  }
  const base = median(results['p-queue (interval, intervalCap)'].map((r) => r.cpuNsPerTask));
  const rows = names.map((name) => {
    const r = results[name];
    const cpu = median(r.map((x) => x.cpuNsPerTask));
    return {
      name,
      tasks: N,
      cpuNsPerTask: Math.round(cpu),
      ratio: +(cpu / base).toFixed(2),
      wallMs: Math.round(median(r.map((x) => x.wallMs))),
      maxStartsInAnyWindow: Math.max(...r.map((x) => x.maxInWindow)),
      lateP50Ms: +median(r.map((x) => x.lateP50Ms)).toFixed(1),
      lateMaxMs: +Math.max(...r.map((x) => x.lateMaxMs)).toFixed(1),
    };
  });
  emit(`Rate limit (${LIMIT} starts/s, concurrency ${CONCURRENCY}, ${N.toLocaleString('en')} no-op tasks queued at once)`, rows, {
    rounds,
    ratio: 'CPU time vs p-queue',
    goal: 'correct quota (≤ 1000 in any 1 s window); CPU per task ≤ p-queue',
  });
}
