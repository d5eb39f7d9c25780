import { isBulwarkError } from '../errors/guards.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { messageOf } from '../errors/message.js';
import type { ThumbnailManager } from './thumbnail-manager.js';

/** The recovery route: `POST …/projects/:projectId/regenerate-thumbnails`. */
const ROUTE = /\/projects\/([^/]+)\/regenerate-thumbnails\/?$/;

/** @internal Parses `dryRun` and `limit` from query values, with the same messages as `regenerateMissing`. */
export function parseRecoveryQuery(dryRunValue: unknown, limitValue: unknown): { dryRun: boolean; limit: number } {
  let dryRun = false;
  if (dryRunValue !== undefined && dryRunValue !== null) {
    const text = String(dryRunValue);
    if (text === 'true' || text === '1' || text === '') dryRun = true;
    else if (text === 'false' || text === '0') dryRun = false;
    else throw new InvalidOptionError('dryRun', '"true" or "false"', dryRunValue);
  }
  let limit = 100;
  if (limitValue !== undefined && limitValue !== null) {
    const text = String(limitValue);
    const n = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
    if (!(n >= 1 && n <= 1000)) throw new InvalidOptionError('limit', 'an integer from 1 to 1000', limitValue);
    limit = n;
  }
  return { dryRun, limit };
}

interface JsonReply {
  readonly status: number;
  readonly body: unknown;
}

async function handle(manager: ThumbnailManager, projectId: string, dryRunValue: unknown, limitValue: unknown): Promise<JsonReply> {
  try {
    const { dryRun, limit } = parseRecoveryQuery(dryRunValue, limitValue);
    const { durationMs, ...report } = await manager.regenerateMissing({ projectId, dryRun, limit });
    // The backend's clients read `processingTime`: the report's `durationMs` under its HTTP name.
    return { status: 200, body: { success: true, data: { ...report, processingTime: durationMs } } };
  } catch (error) {
    const invalid = error instanceof InvalidOptionError;
    return {
      status: invalid ? 400 : 500,
      body: { success: false, error: { code: isBulwarkError(error) ? error.code : 'ERR_INTERNAL', message: messageOf(error) } },
    };
  }
}

/**
 * The recovery endpoint as a Web-standard handler (`Request` → `Response`), for Node's `fetch`-style
 * servers, Hono, Bun, Deno, Next.js route handlers…: `POST …/projects/:projectId/regenerate-thumbnails`
 * with `?dryRun=true` and `?limit=50` (1..1000). Answers `{ success: true, data: report }`; `400` with
 * `{ success: false, error: { code, message } }` for a bad `limit`/`dryRun`; `404`/`405` off the route.
 *
 * @example
 * ```ts
 * const handler = createRecoveryHandler(thumbnails);
 * Bun.serve({ fetch: handler });
 * ```
 */
export function createRecoveryHandler(manager: ThumbnailManager): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const match = ROUTE.exec(url.pathname);
    if (match === null) return Response.json({ success: false, error: { code: 'ERR_NOT_FOUND', message: 'Not found' } }, { status: 404 });
    if (request.method !== 'POST') {
      return Response.json({ success: false, error: { code: 'ERR_METHOD_NOT_ALLOWED', message: 'Use POST' } }, { status: 405, headers: { allow: 'POST' } });
    }
    const reply = await handle(manager, decodeURIComponent(match[1] as string), url.searchParams.get('dryRun') ?? undefined, url.searchParams.get('limit') ?? undefined);
    return Response.json(reply.body, { status: reply.status });
  };
}

/** The parts of an Express (or Connect) request the middleware reads. */
export interface ExpressLikeRequest {
  readonly method?: string;
  readonly url?: string;
  readonly originalUrl?: string;
  readonly params?: Readonly<Record<string, string | undefined>>;
  readonly query?: unknown;
}

/** The parts of an Express (or plain `http.ServerResponse`) response the middleware uses. */
export interface ExpressLikeResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/**
 * The recovery endpoint as Express middleware. Mount it on the route
 * (`app.post('/api/projects/:projectId/regenerate-thumbnails', middleware)`, reading
 * `req.params.projectId`) or anywhere with `app.use(middleware)`, where it answers only
 * `POST …/projects/:projectId/regenerate-thumbnails` and passes everything else to `next()`.
 */
export function createRecoveryMiddleware(
  manager: ThumbnailManager,
): (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    const path = (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
    const fromPath = ROUTE.exec(path)?.[1];
    const projectId = req.params?.['projectId'] ?? (fromPath === undefined ? undefined : decodeURIComponent(fromPath));
    if (projectId === undefined || (req.method ?? 'GET').toUpperCase() !== 'POST') {
      next();
      return;
    }
    const query = new URL(req.originalUrl ?? req.url ?? '/', 'http://localhost').searchParams;
    const fromObject = typeof req.query === 'object' && req.query !== null ? (req.query as Record<string, unknown>) : {};
    handle(manager, projectId, fromObject['dryRun'] ?? query.get('dryRun') ?? undefined, fromObject['limit'] ?? query.get('limit') ?? undefined).then(
      (reply) => {
        res.statusCode = reply.status;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify(reply.body));
      },
      next,
    );
  };
}
