// bulwark/postgres against a real PostgreSQL server (started here, on a free port, in a temporary
// directory): the repository on bulwark's layout and on the backend's Prisma tables, the query plans
// on 100 000 rows, and the classification of real, provoked server errors.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, defaultClassifier, retry } from '../../src/index.js';
import { PostgresRepository, bulwarkLayout, postgresIndexes, postgresSchema, prismaBackendLayout, type PostgresLayout, type PostgresQueryable } from '../../src/postgres/index.js';
import { MemoryStorage, SegmentationNotFoundError, ThumbnailManager, type Polygon } from '../../src/thumbnails/index.js';
import { deferred } from '../helpers/deferred.js';
import { solid } from '../helpers/images.js';
import { findPostgres, serversRequired, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const available = findPostgres() !== undefined;
if (!available) {
  if (serversRequired) throw new Error('BULWARK_REQUIRE_SERVERS=1 but PostgreSQL (initdb/postgres) is not installed');
  console.warn('bulwark: PostgreSQL suite skipped: initdb/postgres not found (apt-get install postgresql, or run .ci/run)');
}

let server: PostgresServer;
let pool: pg.Pool;
const square: Polygon = { type: 'external', points: [{ x: 1, y: 1 }, { x: 8, y: 1 }, { x: 8, y: 8 }] };

/** A pool that also records every statement it is given. */
function recording(target: pg.Pool): PostgresQueryable & { readonly log: Array<{ text: string; values: unknown[] }> } {
  const log: Array<{ text: string; values: unknown[] }> = [];
  return {
    log,
    query: (text: string, values: unknown[] = []) => {
      log.push({ text, values });
      return target.query(text, values);
    },
  };
}

/** Every plan node type of an `EXPLAIN (FORMAT JSON)` result. */
function nodeTypes(plan: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      const n = node as Record<string, unknown>;
      if (typeof n['Node Type'] === 'string') out.push(n['Node Type']);
      for (const value of Object.values(n)) if (typeof value === 'object') walk(value);
    }
  };
  walk(plan);
  return out;
}

async function classify(error: unknown): Promise<{ code: unknown; retriable: boolean | undefined }> {
  return { code: (error as { code?: unknown }).code, retriable: defaultClassifier(error)?.retriable };
}

describe.skipIf(!available)('bulwark/postgres on a real server', () => {
  beforeAll(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: server.url, max: 8 });
    pool.on('error', () => undefined); // idle clients see the server shut down at the end (pg: always handle it)
    for (const statement of postgresSchema()) await pool.query(statement);
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await server?.stop();
  }, 30_000);

  describe('PostgresRepository on bulwark\'s layout', () => {
    beforeAll(async () => {
      await pool.query(`INSERT INTO bulwark_images (id, project_id, image_key, segmentation_status, created_at) VALUES
        ('a', 'p1', 'images/a.png', 'completed', '2026-01-01T00:00:00.000001Z'),
        ('b', 'p1', 'images/b.png', 'completed', '2026-01-01T00:00:00.000001Z'),
        ('c', 'p1', 'images/c.png', 'completed', '2026-01-01T00:00:00.000002Z'),
        ('d', 'p1', 'images/d.png', 'pending',   '2026-01-01T00:00:00Z'),
        ('e', 'p2', 'images/e.png', 'completed', '2026-01-01T00:00:00Z')`);
      await pool.query(`INSERT INTO bulwark_segmentations (image_id, polygons) SELECT id, $1::jsonb FROM bulwark_images`, [JSON.stringify([square])]);
    });

    it('reads a record with its polygons; unknown ids are undefined', async () => {
      const repository = new PostgresRepository({ pool });
      await expect(repository.getSegmentation('a')).resolves.toEqual({ id: 'a', projectId: 'p1', imageKey: 'images/a.png', polygons: [square] });
      await expect(repository.getSegmentation('nope')).resolves.toBeUndefined();
      await expect(repository.getSegmentation("a' OR '1'='1")).resolves.toBeUndefined();
    });

    it('finds missing thumbnails oldest first (ties by id), only segmented images, limited; saveThumbnail is idempotent', async () => {
      const repository = new PostgresRepository({ pool });
      await expect(repository.findMissingThumbnails({ projectId: 'p1', limit: 2 })).resolves.toEqual({ totalImages: 3, missing: 3, ids: ['a', 'b'] });
      const info = { key: 'thumbnails/p1/a.webp', width: 300, height: 200, format: 'webp', bytes: 1234 };
      await repository.saveThumbnail('a', info);
      await repository.saveThumbnail('a', info);
      const { rows } = await pool.query('SELECT thumbnail_key, thumbnail_width, thumbnail_height, thumbnail_format, thumbnail_bytes, thumbnail_updated_at IS NOT NULL AS stamped FROM bulwark_images WHERE id = $1', ['a']);
      expect(rows).toEqual([{ thumbnail_key: info.key, thumbnail_width: 300, thumbnail_height: 200, thumbnail_format: 'webp', thumbnail_bytes: 1234, stamped: true }]);
      await expect(repository.findMissingThumbnails({ projectId: 'p1', limit: 10 })).resolves.toEqual({ totalImages: 3, missing: 2, ids: ['b', 'c'] });
      await expect(repository.getSegmentation('a')).resolves.toMatchObject({ thumbnailKey: info.key });
      await expect(repository.saveThumbnail('ghost', info)).rejects.toBeInstanceOf(SegmentationNotFoundError);
    });

    it('lists recorded thumbnails a page at a time, microsecond ties included, with an opaque cursor', async () => {
      const repository = new PostgresRepository({ pool });
      for (const id of ['b', 'c']) await repository.saveThumbnail(id, { key: `thumbnails/p1/${id}.webp`, width: 1, height: 1, format: 'webp', bytes: 1 });
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await repository.listThumbnails({ projectId: 'p1', limit: 1, ...(after === undefined ? {} : { after }) });
        seen.push(...page.items.map((item) => `${item.id}=${item.key}`));
        after = page.next;
        pages++;
      } while (after !== undefined && pages < 10);
      expect(seen).toEqual(['a=thumbnails/p1/a.webp', 'b=thumbnails/p1/b.webp', 'c=thumbnails/p1/c.webp']);
      await expect(repository.listThumbnails({ projectId: 'p1', limit: 5, after: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidOptionError);
    });

    it('an aborted signal ends the wait with its reason', async () => {
      const repository = new PostgresRepository({ pool });
      const controller = new AbortController();
      const slow = new PostgresRepository({ pool: { query: (text, values) => pool.query(`SELECT pg_sleep(0.3); ${''}`).then(() => pool.query(text, values)) } });
      const pending = slow.getSegmentation('a', { signal: controller.signal });
      controller.abort(new Error('io timeout'));
      await expect(pending).rejects.toThrow('io timeout');
      await expect(repository.getSegmentation('a', { signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow('already');
    });

    it('refuses a pool without query and layout names it cannot quote', () => {
      expect(() => new PostgresRepository({ pool: {} as never })).toThrow(InvalidOptionError);
      expect(() => new PostgresRepository({ pool, layout: { ...bulwarkLayout, images: { ...bulwarkLayout.images, table: '' } } })).toThrow(InvalidOptionError);
      expect(() => new PostgresRepository({ pool, layout: { ...bulwarkLayout, images: { ...bulwarkLayout.images, id: 'x\u0000' } } })).toThrow(InvalidOptionError);
    });
  });

  describe('found by the adversarial pass', () => {
    it('an integer key: pages follow the key order (not its text), and an id that is no integer is no record', async () => {
      await pool.query('CREATE TABLE int_imgs (id int PRIMARY KEY, project_id text, image_key text, created_at timestamptz NOT NULL, thumbnail_key text)');
      await pool.query('CREATE TABLE int_segs (image_id int PRIMARY KEY, polygons jsonb)');
      await pool.query(`INSERT INTO int_imgs SELECT g, 'p', 'k' || g, '2026-01-01', CASE WHEN g % 2 = 0 THEN 't' || g END FROM generate_series(1, 12) g`);
      await pool.query(`INSERT INTO int_segs SELECT id, '[]' FROM int_imgs`);
      const layout: PostgresLayout = { images: { table: 'int_imgs', id: 'id', projectId: 'project_id', imageKey: 'image_key', createdAt: 'created_at', thumbnailKey: 'thumbnail_key' }, segmentations: { table: 'int_segs', imageId: 'image_id', polygons: 'polygons' } };
      const repository = new PostgresRepository({ pool, layout });
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await repository.listThumbnails({ projectId: 'p', limit: 2, ...(after === undefined ? {} : { after }) });
        seen.push(...page.items.map((item) => item.id));
        after = page.next;
      } while (after !== undefined);
      expect(seen).toEqual(['2', '4', '6', '8', '10', '12']);
      await expect(repository.findMissingThumbnails({ projectId: 'p', limit: 3 })).resolves.toEqual({ totalImages: 12, missing: 6, ids: ['1', '3', '5'] });
      await expect(repository.getSegmentation('nope')).resolves.toBeUndefined();
      await expect(repository.saveThumbnail('nope', { key: 'k', width: 1, height: 1, format: 'png', bytes: 1 })).rejects.toBeInstanceOf(SegmentationNotFoundError);
      const forged = Buffer.from(JSON.stringify(['2026-13-45 00:00:00', '1'])).toString('base64url');
      await expect(repository.listThumbnails({ projectId: 'p', limit: 2, after: forged })).rejects.toBeInstanceOf(InvalidOptionError);
    });

    it('the cursor does not depend on DateStyle; a NUL in an id is no record; identifiers are counted in bytes', async () => {
      const sqlStyle = new pg.Pool({ connectionString: server.url, max: 1, options: '-c DateStyle=SQL,DMY' });
      sqlStyle.on('error', () => undefined);
      try {
        const repository = new PostgresRepository({ pool: sqlStyle });
        const seen: string[] = [];
        let after: string | undefined;
        do {
          const page = await repository.listThumbnails({ projectId: 'p1', limit: 1, ...(after === undefined ? {} : { after }) });
          seen.push(...page.items.map((item) => item.id));
          after = page.next;
        } while (after !== undefined);
        expect(seen).toEqual(['a', 'b', 'c']);
      } finally {
        await sqlStyle.end();
      }
      const repository = new PostgresRepository({ pool });
      await expect(repository.getSegmentation('a\u0000b')).resolves.toBeUndefined();
      await expect(repository.findMissingThumbnails({ projectId: 'p\u0000', limit: 5 })).resolves.toEqual({ totalImages: 0, missing: 0, ids: [] });
      expect(() => new PostgresRepository({ pool, layout: { ...bulwarkLayout, images: { ...bulwarkLayout.images, table: 'é'.repeat(40) } } })).toThrow('63 bytes');
    });

    it('postgresIndexes gives tables whose names sanitise alike indexes of their own', async () => {
      const layoutFor = (table: string): PostgresLayout => ({ ...bulwarkLayout, images: { ...bulwarkLayout.images, table } });
      for (const table of ['img-a', 'img_a']) {
        await pool.query(`CREATE TABLE "${table}" (LIKE bulwark_images INCLUDING ALL)`);
        for (const statement of postgresIndexes(layoutFor(table))) await pool.query(statement);
      }
      const { rows } = await pool.query<{ tablename: string; n: number }>(`SELECT tablename, count(*)::int AS n FROM pg_indexes WHERE tablename IN ('img-a', 'img_a') AND indexname LIKE '%missing' OR tablename IN ('img-a', 'img_a') AND indexname LIKE '%done' GROUP BY tablename ORDER BY tablename`);
      expect(rows).toEqual([{ tablename: 'img-a', n: 2 }, { tablename: 'img_a', n: 2 }]);
    });

    it('a status value with a backslash matches whatever standard_conforming_strings says', async () => {
      await pool.query(`INSERT INTO bulwark_images (id, project_id, image_key, segmentation_status) VALUES ('bs', 'bs', 'k', 'done\\x')`);
      const layout: PostgresLayout = { ...bulwarkLayout, images: { ...bulwarkLayout.images, status: { column: 'segmentation_status', done: 'done\\x' } } };
      const legacy = new pg.Pool({ connectionString: server.url, max: 1, options: '-c standard_conforming_strings=off' });
      legacy.on('error', () => undefined);
      try {
        for (const target of [pool, legacy]) {
          await expect(new PostgresRepository({ pool: target, layout }).findMissingThumbnails({ projectId: 'bs', limit: 5 })).resolves.toMatchObject({ totalImages: 1, ids: ['bs'] });
        }
      } finally {
        await legacy.end();
      }
    });
  });

  it('on 100 000 rows, findMissingThumbnails and listThumbnails read indexes, never the whole table', async () => {
    await pool.query(`INSERT INTO bulwark_images (id, project_id, image_key, segmentation_status, created_at, thumbnail_key)
      SELECT 'big-' || g, 'p' || (g % 20), 'images/' || g || '.png', CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'completed' END,
             '2026-01-01'::timestamptz + g * interval '1 second', CASE WHEN g % 3 = 0 THEN NULL ELSE 'thumbnails/' || g || '.webp' END
      FROM generate_series(1, 100000) AS g`);
    await pool.query('ANALYZE bulwark_images');
    const log = recording(pool);
    const repository = new PostgresRepository({ pool: log });
    const missing = await repository.findMissingThumbnails({ projectId: 'p7', limit: 50 });
    expect(missing.ids).toHaveLength(50);
    const page = await repository.listThumbnails({ projectId: 'p7', limit: 50 });
    await repository.listThumbnails({ projectId: 'p7', limit: 50, ...(page.next === undefined ? {} : { after: page.next }) });
    expect(log.log).toHaveLength(3);
    for (const { text, values } of log.log) {
      const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
      const types = nodeTypes(rows[0]);
      expect(types, text).not.toContain('Seq Scan');
      expect(types.some((t) => t.startsWith('Index')), text).toBe(true);
    }
  }, 60_000);

  it("runs ThumbnailManager on the backend's own Prisma tables (JSON-string polygons, path on the image)", async () => {
    // The tables as Prisma creates them for the backend's models.
    await pool.query(`CREATE TABLE "Image" ("id" text PRIMARY KEY, "projectId" text NOT NULL, "name" text NOT NULL, "storagePath" text NOT NULL,
      "thumbnailPath" text, "segmentationStatus" text NOT NULL DEFAULT 'pending', "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP)`);
    await pool.query(`CREATE TABLE "Segmentation" ("id" text PRIMARY KEY, "imageId" text NOT NULL UNIQUE REFERENCES "Image" ("id"), "polygons" text NOT NULL)`);
    for (const statement of postgresIndexes(prismaBackendLayout)) await pool.query(statement);
    const storage = new MemoryStorage();
    const backendPolygons = JSON.stringify([
      { id: 'o1', points: [[2, 2], [30, 2], [30, 30], [2, 30]], type: 'external', partClass: 'spheroid' },
      { id: 'h1', points: [{ x: 10, y: 10 }, { x: 20, y: 10 }, { x: 20, y: 20 }], type: 'internal', parent_id: 'o1' },
    ]);
    for (let i = 0; i < 6; i++) {
      await storage.put(`uploads/proj/img-${i}.png`, await solid(32, 32, [90, 90, 90]), { contentType: 'image/png' });
      await pool.query(`INSERT INTO "Image" ("id", "projectId", "name", "storagePath", "segmentationStatus", "createdAt") VALUES ($1, 'proj', $2, $3, $4, $5)`, [
        `img-${i}`, `img-${i}.png`, `uploads/proj/img-${i}.png`, i === 5 ? 'processing' : 'completed', new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      ]);
      if (i < 5) await pool.query(`INSERT INTO "Segmentation" ("id", "imageId", "polygons") VALUES ($1, $2, $3)`, [`seg-${i}`, `img-${i}`, backendPolygons]);
    }
    const repository = new PostgresRepository({ pool, layout: prismaBackendLayout });
    await expect(repository.getSegmentation('img-0')).resolves.toMatchObject({ id: 'img-0', projectId: 'proj', imageKey: 'uploads/proj/img-0.png', polygons: [{ id: 'o1', class: 'spheroid' }, { id: 'h1', parentId: 'o1' }] });
    const manager = new ThumbnailManager({
      storage,
      repository,
      format: 'png',
      keyFor: (record, ext) => `uploads/${record.projectId}/thumbnails/${record.id}_${Date.now()}.${ext}`,
    });
    const report = await manager.regenerateMissing({ projectId: 'proj' });
    expect(report).toMatchObject({ totalImages: 5, missingThumbnails: 5, regeneratedCount: 5, failedCount: 0 });
    const { rows } = await pool.query(`SELECT "id", "thumbnailPath" FROM "Image" ORDER BY "id"`);
    for (const row of rows as Array<{ id: string; thumbnailPath: string | null }>) {
      if (row.id === 'img-5') expect(row.thumbnailPath).toBeNull(); // not segmented yet
      else expect(row.thumbnailPath !== null && (await storage.exists(row.thumbnailPath))).toBe(true);
    }
    const verify = await manager.regenerateMissing({ projectId: 'proj', dryRun: true, verify: 'storage' });
    expect(verify).toMatchObject({ totalImages: 5, missingThumbnails: 0, missingFiles: 0 });
  }, 60_000);

  describe('real server errors, classified', () => {
    it('a serialization failure (40001) is retriable, and retry() gets the transaction through', async () => {
      await pool.query('CREATE TABLE ser (k int)');
      const a = await pool.connect();
      const b = await pool.connect();
      try {
        await a.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
        await b.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
        await a.query('SELECT count(*) FROM ser WHERE k = 1');
        await b.query('SELECT count(*) FROM ser WHERE k = 2');
        await a.query('INSERT INTO ser VALUES (2)');
        await b.query('INSERT INTO ser VALUES (1)');
        await a.query('COMMIT');
        const error = await b.query('COMMIT').catch((e: unknown) => e);
        expect(await classify(error)).toEqual({ code: '40001', retriable: true });
      } finally {
        await b.query('ROLLBACK').catch(() => undefined);
        a.release();
        b.release();
      }
      // The same conflict inside retry(): the loser's transaction is retried and commits.
      let attempts = 0;
      const gate = deferred();
      const holder = await pool.connect();
      await holder.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      await holder.query('SELECT count(*) FROM ser WHERE k = 3');
      const transfer = retry(
        async () => {
          attempts++;
          const client = await pool.connect();
          try {
            await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
            await client.query('SELECT count(*) FROM ser WHERE k = 4');
            await client.query('INSERT INTO ser VALUES (3)');
            if (attempts === 1) await gate.promise;
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw error;
          } finally {
            client.release();
          }
        },
        { maxAttempts: 3, initialDelayMs: 10, jitter: 'none' },
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      await holder.query('INSERT INTO ser VALUES (4)');
      await holder.query('COMMIT');
      holder.release();
      gate.resolve();
      await transfer;
      expect(attempts).toBe(2);
    });

    it('a deadlock (40P01) is retriable', async () => {
      await pool.query('CREATE TABLE dl (id int PRIMARY KEY, v int)');
      await pool.query('INSERT INTO dl VALUES (1, 0), (2, 0)');
      const a = await pool.connect();
      const b = await pool.connect();
      try {
        await a.query("BEGIN; SET LOCAL deadlock_timeout = '50ms'");
        await b.query("BEGIN; SET LOCAL deadlock_timeout = '50ms'");
        await a.query('UPDATE dl SET v = 1 WHERE id = 1');
        await b.query('UPDATE dl SET v = 1 WHERE id = 2');
        const outcomes = await Promise.allSettled([a.query('UPDATE dl SET v = 2 WHERE id = 2'), b.query('UPDATE dl SET v = 2 WHERE id = 1')]);
        const failure = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult | undefined;
        expect(await classify(failure?.reason)).toEqual({ code: '40P01', retriable: true });
      } finally {
        await a.query('ROLLBACK').catch(() => undefined);
        await b.query('ROLLBACK').catch(() => undefined);
        a.release();
        b.release();
      }
    });

    it('a killed backend is retriable: 57P01 mid-query, and the dead connection after it', async () => {
      const victim = new pg.Client({ connectionString: server.url });
      victim.on('error', () => undefined); // the FATAL also arrives as an event
      await victim.connect();
      const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const sleeping = victim.query('SELECT pg_sleep(30)').catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await pool.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      expect(await classify(await sleeping)).toEqual({ code: '57P01', retriable: true });
      const after = await victim.query('SELECT 1').catch((e: unknown) => e);
      expect(after).toBeInstanceOf(Error);
      expect((await classify(after)).retriable, String(after)).toBe(true);
      await victim.end().catch(() => undefined);
    });

    it('too many connections (53300) is retriable', async () => {
      await pool.query("CREATE ROLE limited LOGIN CONNECTION LIMIT 1");
      const url = server.url.replace('postgres@', 'limited@');
      const first = new pg.Client({ connectionString: url });
      await first.connect();
      const second = new pg.Client({ connectionString: url });
      const error = await second.connect().catch((e: unknown) => e);
      expect(await classify(error)).toEqual({ code: '53300', retriable: true });
      await first.end();
      await second.end().catch(() => undefined);
    });

    it('a constraint violation (23505) and a syntax error (42601) are permanent', async () => {
      await pool.query('CREATE TABLE uq (id int PRIMARY KEY)');
      await pool.query('INSERT INTO uq VALUES (1)');
      expect(await classify(await pool.query('INSERT INTO uq VALUES (1)').catch((e: unknown) => e))).toEqual({ code: '23505', retriable: false });
      expect(await classify(await pool.query('SELEC 1').catch((e: unknown) => e))).toEqual({ code: '42601', retriable: false });
    });
  });
});
