// Run by crash-safety.test.ts (bundled with esbuild) and killed with SIGKILL mid-batch.
import { join } from 'node:path';
import { FileSystemStorage, ThumbnailManager } from '../../src/thumbnails/index.js';
import { JournalRepository, crashRecords } from './crash-fixture.js';

const root = process.argv[2] as string;
const storage = new FileSystemStorage({ root });
const journal = new JournalRepository(join(root, 'journal.jsonl'), crashRecords());
// Tell the parent after each durable record, so it kills on an event instead of polling the journal.
const saveThumbnail = async (...args: Parameters<JournalRepository['saveThumbnail']>): Promise<void> => {
  await journal.saveThumbnail(...args);
  process.stdout.write('recorded\n');
};
const repository = new Proxy(journal, {
  get: (target, key) => {
    if (key === 'saveThumbnail') return saveThumbnail;
    const value: unknown = Reflect.get(target, key);
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
  },
});
const manager = new ThumbnailManager({ storage, repository, format: 'png', width: 600, height: 600, concurrency: 3 });
process.stdout.write('started\n');
const report = await manager.generateMany(crashRecords().map((r) => r.id));
process.stdout.write(`finished ${report.succeeded}\n`);
