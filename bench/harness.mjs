// Fair comparisons: every subject (a library, a configuration) runs in a process of its own, so no
// library pays another's global costs (bulwark's promise hooks once taxed the peers measured after it
// in the same process: 0.42x vs p-limit became 0.68x measured fairly). Rounds alternate the order of
// subjects; each child warms up, then measures CPU time (process.cpuUsage, user + system) and wall
// time. Reported: medians, and the spread of CPU time across rounds (min–max, % of the median).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emit, median, now } from './lib.mjs';

/**
 * @param {object} spec
 * @param {string} spec.name - the table's title
 * @param {string} spec.file - `import.meta.url` of the benchmark file
 * @param {Record<string, () => Promise<(units: number) => Promise<void>>>} spec.subjects - each builds its runner (imports inside, so a child loads only its own library)
 * @param {(subject: string) => number} spec.units - units (tasks, calls, items) per measured run
 * @param {string} spec.baseline - the subject ratios are computed against
 * @param {string} spec.unit - e.g. 'task'
 * @param {number} [spec.rounds]
 * @param {string} [spec.subtract] - a subject (e.g. a bare call) whose cost is subtracted: ratios then compare overheads
 * @param {number} [spec.repeat] - measured runs per child (small sizes repeat, so the window is long enough to measure)
 * @param {Record<string, string>} [spec.notes]
 */
export async function isolated(spec) {
  const subjectArg = process.argv.indexOf('--subject');
  if (subjectArg !== -1) return child(spec, process.argv[subjectArg + 1]);
  const rounds = spec.rounds ?? Number(process.env.BENCH_ROUNDS ?? 5);
  const names = Object.keys(spec.subjects);
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  const wall = Object.fromEntries(names.map((n) => [n, []]));
  const heap = Object.fromEntries(names.map((n) => [n, 0]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', fileURLToPath(spec.file), '--subject', name], { encoding: 'utf8', env: process.env });
      const result = JSON.parse(out.trim().split('\n').at(-1));
      cpu[name].push(result.cpuNs);
      wall[name].push(result.wallNs);
      heap[name] = Math.max(heap[name], result.heapMb);
    }
  }
  const floor = spec.subtract === undefined ? 0 : median(cpu[spec.subtract]);
  const base = median(cpu[spec.baseline]) - floor;
  const unit = spec.unit;
  emit(
    spec.name,
    names.map((name) => {
      const m = median(cpu[name]);
      const spread = m > 0 ? ((Math.max(...cpu[name]) - Math.min(...cpu[name])) / m) * 100 : 0;
      return {
        name,
        [`${unit}s`]: spec.units(name),
        [`cpuNsPer${cap(unit)}`]: Math.round(m),
        [`wallNsPer${cap(unit)}`]: Math.round(median(wall[name])),
        cpuSpread: `±${(spread / 2).toFixed(0)}%`,
        ...(spec.subtract === undefined ? {} : { overheadNs: Math.round(Math.max(0, m - floor)) }),
        ratio: name === spec.subtract ? null : +(Math.max(0, m - floor) / base).toFixed(2),
        peakHeapMb: +heap[name].toFixed(1),
      };
    }),
    { ratio: spec.subtract === undefined ? `CPU time vs ${spec.baseline}` : `CPU overhead over ${spec.subtract}, vs ${spec.baseline}'s`, rounds: String(rounds), isolation: 'one process per subject per round, order alternating', ...(spec.notes ?? {}) },
  );
}

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

async function child(spec, name) {
  const make = spec.subjects[name];
  if (make === undefined) throw new Error(`unknown subject ${name}`);
  const run = await make();
  const units = spec.units(name);
  // Warm-up, the same for every subject: two runs of up to 10 000 units, so the JIT has settled before
  // a 10 000-unit measurement too.
  for (let i = 0; i < 2; i++) await run(Math.min(units, 10_000));
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = heapBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  const repeat = spec.repeat ?? 1;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  for (let i = 0; i < repeat; i++) await run(units);
  const wallMs = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  console.log(JSON.stringify({ cpuNs: ((cpu.user + cpu.system) * 1000) / (units * repeat), wallNs: (wallMs * 1e6) / (units * repeat), heapMb: (peak - heapBefore) / 1048576 }));
}
