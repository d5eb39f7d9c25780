#!/usr/bin/env node
// Runs every benchmark in its own process (with --expose-gc), prints the tables, and writes them to
// bench/.results/latest.md (untracked: bench/README.md holds the recorded run, updated by hand after a
// quiet full run). `npm run bench` builds first. Never pass/fail.
// Pick some: `node bench/run.mjs retry limiter`. `--quick` (`npm run bench:quick`): smaller sizes, fewer
// rounds, no thread-pool sweep: about two minutes, for a smoke check of the ratios, not for the record.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = ['limiter', 'limiter-shallow', 'queued-memory', 'rate', 'circuit', 'retry', 'batch', 'backoff', 'host', 'queue', 'thumbnails', 'thumbnails-threadpool', 'distributed', 'bundle'];
/** Benchmarks that are another one's file run in another mode. */
const variants = { 'thumbnails-threadpool': ['thumbnails.mjs', ['--threadpool'], {}], 'limiter-shallow': ['limiter.mjs', [], { BENCH_LIMITER_MODE: 'shallow' }] };
const quick = process.argv.includes('--quick');
const named = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const chosen = named.length > 0 ? named : quick ? all.filter((name) => name !== 'thumbnails-threadpool') : all;
// Quick sizes: each benchmark reads its size from the environment.
const QUICK_ENV = { BENCH_ROUNDS: '2', BENCH_TASKS: '50000', BENCH_QUEUED: '200000', BENCH_CALLS: '50000', BENCH_ITEMS: '100000', BENCH_IMAGES: '12', BENCH_BACKOFF_ITEMS: '50', BENCH_BACKOFF_DELAY_MS: '300', BENCH_AWAITS: '300000', BENCH_HOST_ROUNDS: '2', BENCH_JOBS: '10000', BENCH_RATE_TASKS: '2000', BENCH_CIRCUIT_CALLS: '50000' };
const env = quick ? { ...QUICK_ENV, ...process.env } : process.env;

function table(rows) {
  const keys = Object.keys(rows[0] ?? {});
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(keys), line(keys.map(() => '---')), ...rows.map((r) => line(keys.map((k) => (r[k] === null || r[k] === undefined ? '' : String(r[k])))))].join('\n');
}

const sections = [];
for (const name of chosen) {
  const [file, extra, variantEnv] = variants[name] ?? [`${name}.mjs`, [], {}];
  const args = ['--expose-gc', '--max-old-space-size=8192', join(here, file), ...extra];
  process.stderr.write(`running ${name}…\n`);
  const started = Date.now();
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], cwd: join(here, '..'), env: { ...env, ...variantEnv } });
  // A benchmark prints one JSON line per table (the batch benchmark prints one per size).
  const results = out.trim().split('\n').flatMap((line) => {
    try {
      const parsed = JSON.parse(line);
      return parsed !== null && typeof parsed === 'object' && Array.isArray(parsed.rows) ? [parsed] : [];
    } catch {
      return [];
    }
  });
  for (const result of results) {
    const notes = Object.entries(result.notes ?? {}).map(([k, v]) => `${k}: ${v}`).join('; ');
    const section = `### ${result.name}\n\n${notes ? `${notes}\n\n` : ''}${table(result.rows)}`;
    console.log(`\n${section}\n`);
    sections.push(section);
  }
  sections.push(`_${name}: ${((Date.now() - started) / 1000).toFixed(0)} s_`);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}. Comparisons run each library in a process of its own (bench/harness.mjs): CPU time (process.cpuUsage) beside wall time, medians of rounds, spread stated.`;

const results = join(here, '.results');
mkdirSync(results, { recursive: true });
const file = join(results, 'latest.md');
writeFileSync(file, `${header}${quick ? ' Quick mode (--quick): reduced sizes, indicative only.' : ''}\n\n${sections.join('\n\n')}\n`);
console.log(`\nWritten to ${file}`);
