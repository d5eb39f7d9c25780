#!/usr/bin/env node
// Packs the package as npm would publish it, then checks the tarball:
//  1. publint (strict): package.json fields, exports map, files that exist;
//  2. @arethetypeswrong/cli: both entry points resolve with types for node10, node16 (ESM and CJS)
//     and bundler users;
//  3. the core bundles import or require nothing but Node built-ins (zero runtime dependencies).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-pack-'));
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'inherit', ...opts });
let failed = false;
try {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { encoding: 'utf8' });
  const [{ filename, files }] = JSON.parse(out);
  const tarball = join(dir, filename);
  console.log(`packed ${filename}: ${files.length} files`);

  console.log('\n== publint');
  run('npx', ['--no-install', 'publint', 'run', tarball, '--strict']);

  console.log('\n== are the types wrong');
  run('npx', ['--no-install', 'attw', tarball, '--profile', 'strict', '--format', 'table-flipped']);

  console.log('\n== zero runtime dependencies in the core');
  const extract = join(dir, 'x');
  run('mkdir', ['-p', extract]);
  run('tar', ['-xzf', tarball, '-C', extract]);
  const distDir = join(extract, 'package', 'dist');
  // Every bundle but thumbnails.* (which loads the optional peer sharp) and bullmq.* (which imports the
  // optional peer bullmq, and nothing else) must import no package.
  const coreFiles = readdirSync(distDir).filter((f) => /\.(c?js)$/.test(f) && !f.startsWith('thumbnails'));
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;
  for (const file of coreFiles) {
    const code = readFileSync(join(distDir, file), 'utf8');
    for (const [, spec] of code.matchAll(specifier)) {
      if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      if (spec === 'bullmq' && file.startsWith('bullmq.')) continue;
      console.error(`  ${file} imports "${spec}": the core must not depend on packages`);
      failed = true;
    }
  }
  if (!failed) console.log(`  ok: ${coreFiles.join(', ')} import only relative files and node: built-ins`);
  const pkg = JSON.parse(readFileSync(join(extract, 'package', 'package.json'), 'utf8'));
  if (pkg.dependencies && Object.keys(pkg.dependencies).length > 0) {
    console.error(`  package.json has dependencies: ${Object.keys(pkg.dependencies).join(', ')}`);
    failed = true;
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  failed = true;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
