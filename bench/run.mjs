#!/usr/bin/env node
// Runs every benchmark in its own process (with --expose-gc), prints the tables, and records them in
// bench/README.md between the RESULTS markers. `npm run bench` builds first. Never pass/fail.
// Pick some: `node bench/run.mjs retry limiter`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = ['limiter', 'queued-memory', 'retry', 'batch', 'thumbnails', 'thumbnails-threadpool', 'bundle'];
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : all;

function table(rows) {
  const keys = Object.keys(rows[0] ?? {});
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(keys), line(keys.map(() => '---')), ...rows.map((r) => line(keys.map((k) => (r[k] === null || r[k] === undefined ? '' : String(r[k])))))].join('\n');
}

const sections = [];
for (const name of chosen) {
  const file = name === 'thumbnails-threadpool' ? 'thumbnails.mjs' : `${name}.mjs`;
  const args = ['--expose-gc', '--max-old-space-size=8192', join(here, file), ...(name === 'thumbnails-threadpool' ? ['--threadpool'] : [])];
  process.stderr.write(`running ${name}…\n`);
  const started = Date.now();
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], cwd: join(here, '..') });
  const result = JSON.parse(out.trim().split('\n').at(-1));
  const notes = Object.entries(result.notes ?? {}).map(([k, v]) => `${k}: ${v}`).join('; ');
  const section = `### ${result.name}\n\n${notes ? `${notes}\n\n` : ''}${table(result.rows)}\n\n_${((Date.now() - started) / 1000).toFixed(0)} s_`;
  console.log(`\n${section}\n`);
  sections.push(section);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}. One run; medians of rounds where a benchmark repeats.`;
if (chosen.length === all.length) {
  const readme = join(here, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- RESULTS:START -->';
  const end = '<!-- RESULTS:END -->';
  const updated = text.slice(0, text.indexOf(start) + start.length) + `\n${header}\n\n${sections.join('\n\n')}\n` + text.slice(text.indexOf(end));
  writeFileSync(readme, updated);
  console.log(`\nRecorded in ${readme}`);
}
