import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/index.js';
import { MemoryStorage, ThumbnailManager, createRecoveryHandler, createRecoveryMiddleware } from '../../src/thumbnails/index.js';
import { parseRecoveryQuery } from '../../src/thumbnails/http.js';
import { project } from '../helpers/project.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function listen(server: http.Server): Promise<string> {
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Serves a Web-standard handler from node:http (what @hono/node-server and friends do). */
function serveWeb(handler: (request: Request) => Promise<Response>): http.Server {
  return http.createServer((req, res) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers });
    handler(request).then(async (response) => {
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    }, (error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
}

async function setup(): Promise<{ manager: ThumbnailManager; ids: string[] }> {
  const { manager, ids } = await setupWithStorage();
  return { manager, ids };
}

async function setupWithStorage(): Promise<{ manager: ThumbnailManager; ids: string[]; storage: MemoryStorage }> {
  const { storage, repository, ids } = await project(6);
  const manager = new ThumbnailManager({ storage, repository, retry: { initialDelayMs: 1 } });
  await manager.generateMany(ids.slice(0, 2));
  return { manager, ids, storage };
}

describe('recovery endpoint (Web handler over a real HTTP server)', () => {
  it('dry run, then regeneration, then nothing missing', async () => {
    const { manager } = await setup();
    const base = await listen(serveWeb(createRecoveryHandler(manager)));

    const dry = await fetch(`${base}/api/projects/p1/regenerate-thumbnails?dryRun=true&limit=3`, { method: 'POST' });
    expect(dry.status).toBe(200);
    const dryBody = (await dry.json()) as { success: boolean; data: Record<string, unknown> };
    expect(dryBody.success).toBe(true);
    expect(dryBody.data).toMatchObject({ projectId: 'p1', dryRun: true, totalImages: 6, missingThumbnails: 4, regeneratedCount: 0, segmentationIds: ['seg-2', 'seg-3', 'seg-4'] });

    const run = (await (await fetch(`${base}/api/projects/p1/regenerate-thumbnails`, { method: 'POST' })).json()) as { data: Record<string, unknown> };
    expect(run.data).toMatchObject({ missingThumbnails: 4, regeneratedCount: 4, failedCount: 0, concurrencyStatus: { active: 0, queued: 0, concurrency: 5, borrowed: 0 } });

    const after = (await (await fetch(`${base}/api/projects/p1/regenerate-thumbnails?dryRun=1`, { method: 'POST' })).json()) as { data: Record<string, unknown> };
    expect(after.data['missingThumbnails']).toBe(0);
  });

  it("verify: 'storage' (a server-side option) finds lost files and reports missingFiles", async () => {
    const { manager, storage } = await setupWithStorage();
    await storage.delete('thumbnails/p1/seg-0.jpg');
    const base = await listen(serveWeb(createRecoveryHandler(manager, { verify: 'storage' })));
    const dry = (await (await fetch(`${base}/api/projects/p1/regenerate-thumbnails?dryRun=true`, { method: 'POST' })).json()) as { data: Record<string, unknown> };
    expect(dry.data).toMatchObject({ missingThumbnails: 5, missingFiles: 1, segmentationIds: ['seg-2', 'seg-3', 'seg-4', 'seg-5', 'seg-0'] });
    // The default endpoint trusts the repository.
    const trusting = await listen(serveWeb(createRecoveryHandler(manager)));
    const plain = (await (await fetch(`${trusting}/api/projects/p1/regenerate-thumbnails?dryRun=true`, { method: 'POST' })).json()) as { data: Record<string, unknown> };
    expect(plain.data).toMatchObject({ missingThumbnails: 4, missingFiles: 0 });
    // @ts-expect-error not a mode
    expect(() => createRecoveryHandler(manager, { verify: 'files' })).toThrow(InvalidOptionError);
  });

  it.each([
    ['limit=0', 'Expected `limit` to be an integer from 1 to 1000, got `"0"` (string)'],
    ['limit=5000', 'Expected `limit` to be an integer from 1 to 1000, got `"5000"` (string)'],
    ['limit=abc', 'Expected `limit` to be an integer from 1 to 1000, got `"abc"` (string)'],
    ['dryRun=maybe', 'Expected `dryRun` to be "true" or "false", got `"maybe"` (string)'],
  ])('400 for %s', async (query, message) => {
    const { manager } = await setup();
    const base = await listen(serveWeb(createRecoveryHandler(manager)));
    const response = await fetch(`${base}/api/projects/p1/regenerate-thumbnails?${query}`, { method: 'POST' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ success: false, error: { code: 'ERR_BULWARK_INVALID_OPTION', message } });
  });

  it('404 off the route, 405 for other methods', async () => {
    const { manager } = await setup();
    const base = await listen(serveWeb(createRecoveryHandler(manager)));
    expect((await fetch(`${base}/api/projects/p1/other`, { method: 'POST' })).status).toBe(404);
    const get = await fetch(`${base}/api/projects/p1/regenerate-thumbnails`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

describe('recovery endpoint (Express middleware)', () => {
  it('works mounted on the route, and as app-wide middleware', async () => {
    const { manager } = await setup();
    const app = express();
    app.post('/api/projects/:projectId/regenerate-thumbnails', createRecoveryMiddleware(manager));
    app.use('/v2', createRecoveryMiddleware(manager, { path: '/v2/projects/:projectId/regenerate-thumbnails' }));
    app.use((_req, res) => {
      res.status(404).json({ fellThrough: true });
    });
    const base = await listen(http.createServer(app));

    const dry = (await (await fetch(`${base}/api/projects/p1/regenerate-thumbnails?dryRun=true`, { method: 'POST' })).json()) as { data: Record<string, unknown> };
    expect(dry.data).toMatchObject({ projectId: 'p1', missingThumbnails: 4, dryRun: true });
    const bad = await fetch(`${base}/api/projects/p1/regenerate-thumbnails?limit=0`, { method: 'POST' });
    expect(bad.status).toBe(400);
    const viaUse = (await (await fetch(`${base}/v2/projects/p1/regenerate-thumbnails?limit=2`, { method: 'POST' })).json()) as { data: Record<string, unknown> };
    expect(viaUse.data).toMatchObject({ regeneratedCount: 2, missingThumbnails: 4 });
    expect(await (await fetch(`${base}/v2/projects/p1/regenerate-thumbnails`)).json()).toEqual({ fellThrough: true });
  });

  it('parseRecoveryQuery defaults', () => {
    expect(parseRecoveryQuery(undefined, undefined)).toEqual({ dryRun: false, limit: 100 });
    expect(parseRecoveryQuery('false', '1000')).toEqual({ dryRun: false, limit: 1000 });
  });
});

describe('recovery endpoint: safe to expose', () => {
  it('never crashes the server when headers were already sent by another middleware (0.1 exited the process)', async () => {
    const { manager } = await setup();
    const app = express();
    app.use((_req, res, next) => {
      res.writeHead(202, { 'content-type': 'text/plain' });
      res.write('accepted');
      next();
    });
    const logged: unknown[] = [];
    app.use(createRecoveryMiddleware(manager, { logger: { error: (message) => void logged.push(message) } }));
    const base = await listen(http.createServer(app));
    const response = await fetch(`${base}/api/projects/p1/regenerate-thumbnails?dryRun=true`, { method: 'POST', signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    expect(response === undefined || response.status === 202).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(logged).toEqual(['Thumbnail recovery: could not write the reply']);
  });

  it('a 500 answers a generic message and a correlation id; the details (credentials, paths) go to the logger only', async () => {
    const { storage, repository } = await project(3);
    repository.findMissingThumbnails = () => Promise.reject(new Error('connect ECONNREFUSED postgres://backend:s3cret@db.internal:5432/seg (/srv/app/node_modules/pg/lib/client.js)'));
    const manager = new ThumbnailManager({ storage, repository, retry: { maxAttempts: 1 } });
    const logged: Array<{ correlationId: string; err: unknown }> = [];
    const base = await listen(serveWeb(createRecoveryHandler(manager, { logger: { error: (_m, fields) => void logged.push(fields) } })));
    const response = await fetch(`${base}/api/projects/p1/regenerate-thumbnails`, { method: 'POST' });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('/srv/app');
    const body = JSON.parse(text) as { error: { code: string; correlationId: string } };
    expect(body.error.code).toBe('ERR_INTERNAL');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.correlationId).toBe(body.error.correlationId);
    expect(String((logged[0]?.err as Error).message)).toContain('s3cret');
  });

  it('authorize: 401, 403, then allowed', async () => {
    const { manager } = await setup();
    const authorize = (request: { headers: Readonly<Record<string, string | undefined>> }): boolean | 401 => (request.headers['authorization'] === undefined ? 401 : request.headers['authorization'] === 'Bearer admin');
    const base = await listen(serveWeb(createRecoveryHandler(manager, { authorize })));
    const url = `${base}/api/projects/p1/regenerate-thumbnails?dryRun=true`;
    expect((await fetch(url, { method: 'POST' })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer someone' } })).status).toBe(403);
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer admin' } })).status).toBe(200);
  });

  it('matches the route exactly: no prefix bypass of an /api guard; a malformed %-escape is a 400', async () => {
    const { manager } = await setup();
    const base = await listen(serveWeb(createRecoveryHandler(manager)));
    expect((await fetch(`${base}/public/api/projects/p1/regenerate-thumbnails`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/api/projects/p1/regenerate-thumbnails/extra`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/api/projects/%E0%A4%A/regenerate-thumbnails`, { method: 'POST' })).status).toBe(400);
    const app = express();
    app.use(createRecoveryMiddleware(manager));
    app.use((_req, res) => void res.status(418).end());
    const expressBase = await listen(http.createServer(app));
    expect((await fetch(`${expressBase}/public/api/projects/p1/regenerate-thumbnails`, { method: 'POST' })).status).toBe(418);
    expect((await fetch(`${expressBase}/api/projects/%E0%A4%A/regenerate-thumbnails`, { method: 'POST' })).status).toBe(400);
  });

  it('single flight: concurrent requests for one project share one run', async () => {
    const { manager } = await setup();
    let runs = 0;
    const original = manager.regenerateMissing.bind(manager);
    manager.regenerateMissing = (options) => {
      runs++;
      return original(options);
    };
    const base = await listen(serveWeb(createRecoveryHandler(manager)));
    const replies = await Promise.all(Array.from({ length: 5 }, () => fetch(`${base}/api/projects/p1/regenerate-thumbnails`, { method: 'POST' }).then((r) => r.json() as Promise<{ data: { regeneratedCount: number } }>)));
    expect(runs).toBe(1);
    expect(replies.map((r) => r.data.regeneratedCount)).toEqual([4, 4, 4, 4, 4]);
  });

  it('respond reshapes every answer', async () => {
    const { manager } = await setup();
    const base = await listen(serveWeb(createRecoveryHandler(manager, { respond: (reply) => ({ status: reply.status, body: { ok: reply.status < 400, payload: reply.body } }) })));
    const body = (await (await fetch(`${base}/api/projects/p1/regenerate-thumbnails?dryRun=true`, { method: 'POST' })).json()) as { ok: boolean };
    expect(body.ok).toBe(true);
  });
});

describe('recovery endpoint: found by the adversarial review', () => {
  it('per-item failure messages never reach the client (only codes); the details go to the logger', async () => {
    const { storage, repository } = await project(2);
    repository.getSegmentation = () => Promise.reject(new Error('connect ECONNREFUSED postgres://admin:s3cret@10.0.0.5:5432/prod at /srv/app/db.js'));
    const manager = new ThumbnailManager({ storage, repository, retry: { maxAttempts: 1 } });
    const logged: unknown[] = [];
    const base = await listen(serveWeb(createRecoveryHandler(manager, { logger: { error: (_m, f) => void logged.push(f) } })));
    const response = await fetch(`${base}/api/projects/p1/regenerate-thumbnails`, { method: 'POST' });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('/srv/app');
    expect((JSON.parse(text) as { data: { failures: Array<{ code: string }> } }).data.failures.map((f) => f.code)).toEqual(['ERR_BULWARK_RETRY_EXHAUSTED', 'ERR_BULWARK_RETRY_EXHAUSTED']);
    expect(JSON.stringify(logged)).toContain('s3cret');
  });

  it('single flight is per project, mode and limit', async () => {
    const { manager } = await setup();
    const base = await listen(serveWeb(createRecoveryHandler(manager)));
    const [one, all] = await Promise.all([
      fetch(`${base}/api/projects/p1/regenerate-thumbnails?dryRun=true&limit=1`, { method: 'POST' }).then((r) => r.json() as Promise<{ data: { segmentationIds: string[] } }>),
      fetch(`${base}/api/projects/p1/regenerate-thumbnails?dryRun=true&limit=1000`, { method: 'POST' }).then((r) => r.json() as Promise<{ data: { segmentationIds: string[] } }>),
    ]);
    expect(one.data.segmentationIds).toHaveLength(1);
    expect(all.data.segmentationIds).toHaveLength(4);
  });

  it('a respond() that returns something unsendable is a generic 500, never a stack trace', async () => {
    const { manager } = await setup();
    const bad = [() => undefined, () => ({ status: 99, body: {} }), () => ({ status: 200, body: 1n })];
    for (const respond of bad) {
      const base = await listen(serveWeb(createRecoveryHandler(manager, { respond: respond as never, logger: { error: () => undefined } })));
      const response = await fetch(`${base}/api/projects/p1/regenerate-thumbnails?dryRun=true`, { method: 'POST' });
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ERR_INTERNAL');
      const app = express();
      app.use(createRecoveryMiddleware(manager, { respond: respond as never, logger: { error: () => undefined } }));
      const expressBase = await listen(http.createServer(app));
      const viaExpress = await fetch(`${expressBase}/api/projects/p1/regenerate-thumbnails?dryRun=true`, { method: 'POST' });
      expect(viaExpress.status).toBe(500);
      expect(await viaExpress.text()).not.toContain('at ');
    }
  });

  it('authorize runs before any other answer (no 400 or 405 for an unauthenticated caller); arrays and encoded slashes are 400s', async () => {
    const { manager } = await setup();
    let calls = 0;
    const base = await listen(serveWeb(createRecoveryHandler(manager, { authorize: (request) => { calls++; return request.headers['authorization'] === 'ok' ? true : 401; } })));
    expect((await fetch(`${base}/api/projects/%/regenerate-thumbnails`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${base}/api/projects/p1/regenerate-thumbnails`)).status).toBe(401);
    expect(calls).toBe(2);
    const ok = { method: 'POST', headers: { authorization: 'ok' } };
    expect((await fetch(`${base}/api/projects/%/regenerate-thumbnails`, ok)).status).toBe(400);
    expect((await fetch(`${base}/api/projects/p1%2Fx/regenerate-thumbnails`, ok)).status).toBe(400);
    expect((await fetch(`${base}/api/projects/p1/regenerate-thumbnails?limit=1&limit=2`, ok)).status).toBe(400);
    const app = express();
    app.set('query parser', 'extended'); // `limit[]=5` becomes an array
    app.use(createRecoveryMiddleware(manager));
    const expressBase = await listen(http.createServer(app));
    expect((await fetch(`${expressBase}/api/projects/p1/regenerate-thumbnails?limit[]=5`, { method: 'POST' })).status).toBe(400);
  });
});
