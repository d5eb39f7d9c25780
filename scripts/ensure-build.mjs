#!/usr/bin/env node
// Builds dist/ only when it is missing or older than its sources, quietly: `npm run demo` and the
// examples start at once on a built tree, and print nothing of the build unless it fails.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

function oldest(path) {
  let earliest = Infinity;
  for (const entry of readdirSync(path)) {
    const full = join(path, entry);
    earliest = Math.min(earliest, statSync(full).isDirectory() ? oldest(full) : statSync(full).mtimeMs);
  }
  return earliest;
}

const dist = join(root, 'dist');
const inputs = ['src', 'tsup.config.ts', 'package.json', 'tsconfig.json'].map((p) => join(root, p));
const stale = !existsSync(join(dist, 'index.js')) || Math.max(...inputs.map(newest)) > oldest(dist);
if (stale) {
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--silent'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    process.stderr.write(`Build failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    process.exit(1);
  }
}
