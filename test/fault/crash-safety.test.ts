// A child process generating thumbnails onto FileSystemStorage is killed with SIGKILL mid-batch.
// Afterwards no partially written thumbnail exists under any key, the repository never points to a
// missing file, and regenerateMissing completes the batch.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemStorage, ThumbnailManager } from '../../src/thumbnails/index.js';
import { solid } from '../helpers/images.js';
import { CRASH_SIZE, JournalRepository, crashRecords } from './crash-fixture.js';

const here = import.meta.dirname;
let root: string;
let child: string;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'bulwark-crash-'));
  // Bundled inside the repository, so the child resolves sharp from its node_modules (ESM ignores NODE_PATH).
  child = resolve(here, '../../.tmp/crash-child.mjs');
  await build({ entryPoints: [join(here, 'crash-child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: child, external: ['sharp'], logLevel: 'silent' });
  const storage = new FileSystemStorage({ root: join(root, 'store') });
  const image = await solid(CRASH_SIZE, CRASH_SIZE, [70, 120, 70], 'png');
  for (const record of crashRecords()) await storage.put(record.imageKey, image, { contentType: 'image/png' });
}, 60_000);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('crash safety', () => {
  it('SIGKILL mid-batch leaves no partial thumbnail and no dangling record; a rerun completes', async () => {
    const store = join(root, 'store');
    const journal = join(store, 'journal.jsonl');
    const proc = spawn(process.execPath, [child, store], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolveExit) => proc.on('exit', (_code, signal) => resolveExit(signal)));
    // Kill once a few thumbnails are recorded (the child says so on stdout), while others are being written.
    await new Promise<void>((resolveRecorded, rejectRecorded) => {
      let recordedLines = 0;
      proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        recordedLines += chunk.split('\n').filter((line) => line === 'recorded').length;
        if (recordedLines >= 6) resolveRecorded();
      });
      proc.on('exit', () => rejectRecorded(new Error('the child finished before it could be killed')));
    });
    proc.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const repository = new JournalRepository(journal, crashRecords());
    const recorded = repository.thumbnails();
    expect(recorded.size).toBeGreaterThan(0);
    expect(recorded.size).toBeLessThan(crashRecords().length);

    // Every file under a key is a complete image; temporary files are never keys.
    const storage = new FileSystemStorage({ root: store });
    const thumbnailFiles = files(join(store, 'thumbnails'));
    let complete = 0;
    for (const file of thumbnailFiles) {
      const key = relative(store, file);
      if (file.endsWith('.bulwark-tmp')) {
        expect(() => storage.pathOf(key)).toThrow();
        continue;
      }
      await expect(sharp(readFileSync(file), { failOn: 'truncated' }).raw().toBuffer()).resolves.toBeInstanceOf(Buffer);
      complete++;
    }
    expect(complete).toBeGreaterThanOrEqual(recorded.size);
    // The repository never points to a missing or different file.
    for (const [, info] of recorded) {
      expect(await storage.exists(info.key)).toBe(true);
      expect(statSync(storage.pathOf(info.key)).size).toBe(info.bytes);
    }

    // Interrupted writes may leave temporary files; they are cleaned up once stale.
    const temporary = thumbnailFiles.filter((f) => f.endsWith('.bulwark-tmp')).length;
    expect(await storage.removeStaleTemporaryFiles({ olderThanMs: 0 })).toBe(temporary);
    expect(files(join(store, 'thumbnails')).filter((f) => f.endsWith('.bulwark-tmp'))).toEqual([]);

    // A rerun of regenerateMissing completes the batch.
    const manager = new ThumbnailManager({ storage, repository, format: 'png', width: 600, height: 600 });
    const rerun = await manager.regenerateMissing({ projectId: 'crash' });
    expect(rerun.failedCount).toBe(0);
    expect(rerun.regeneratedCount).toBe(crashRecords().length - recorded.size);
    expect((await manager.regenerateMissing({ projectId: 'crash', dryRun: true })).missingThumbnails).toBe(0);
  }, 120_000);
});
