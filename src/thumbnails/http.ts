import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { isInvalidOptionError } from '../errors/guards.js';
import { oneOf } from '../internal/validate.js';
import type { RegenerationReport } from './options.js';
import type { ThumbnailManager } from './thumbnail-manager.js';

/** @internal Parses `dryRun` and `limit` from query values, with the same messages as `regenerateMissing`. */
export function parseRecoveryQuery(dryRunValue: unknown, limitValue: unknown): { dryRun: boolean; limit: number } {
  // A query value repeated or bracketed (`limit[]=5`, `limit=1&limit=2`) is not one value.
  if (typeof dryRunValue === 'object' && dryRunValue !== null) throw new InvalidOptionError('dryRun', '"true" or "false"', dryRunValue);
  if (typeof limitValue === 'object' && limitValue !== null) throw new InvalidOptionError('limit', 'an integer from 1 to 1000', limitValue);
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

/** What `authorize` and `respond` see of a request. */
export interface RecoveryRequest {
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** Request headers, lower-case names (`authorization`, `cookie`…). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The project, decoded from the path. */
  readonly projectId: string;
  /** The request as the framework gave it (Express `req`, or the Web `Request`). */
  readonly raw: unknown;
}

/** An answer of the endpoint, before it is written. */
export interface RecoveryReply {
  readonly status: number;
  readonly body: unknown;
}

/** Where the endpoint reports what it does not tell the client: the details of a 500. */
export interface RecoveryLogger {
  error(message: string, fields: { readonly correlationId: string; readonly err: unknown; readonly projectId: string | undefined }): void;
}

/** Options of `createRecoveryHandler` and `createRecoveryMiddleware`. */
export interface RecoveryEndpointOptions {
  /**
   * The route, matched exactly (no prefix or suffix slips through: `/public/api/projects/1/…` is not
   * `/api/projects/1/…`), with `:projectId` where the project goes. A trailing slash is accepted.
   * @default '/api/projects/:projectId/regenerate-thumbnails'
   */
  readonly path?: string;
  /**
   * Decides whether a request may run the recovery: `true` runs it; `false` or `403` answers 403;
   * `401` answers 401. A throw is a 500 (logged). Runs before anything else is read.
   * @default undefined (every request may run it: put the endpoint behind your own auth middleware)
   * @example
   * ```ts
   * authorize: (request) => (request.headers['authorization'] === `Bearer ${process.env.ADMIN_TOKEN}` ? true : 401)
   * ```
   */
  readonly authorize?: (request: RecoveryRequest) => boolean | 401 | 403 | Promise<boolean | 401 | 403>;
  /**
   * Reshapes every answer before it is written (e.g. to the backend's own envelope).
   * @default the reply as is: `{ success: true, data }` or `{ success: false, error: { code, message } }`
   */
  readonly respond?: (reply: RecoveryReply, request: RecoveryRequest | undefined) => RecoveryReply;
  /**
   * Where the details of an unexpected failure go; the client gets a generic message and the same
   * `correlationId`. (Error messages can carry database URLs with credentials and absolute paths.)
   * @default console (`console.error`)
   */
  readonly logger?: RecoveryLogger;
  /**
   * What counts as missing, passed to `regenerateMissing`: `'storage'` also finds recorded thumbnails
   * whose file is gone (it checks every recorded key, so it is a server-side choice, not a query
   * parameter). The reply's `missingFiles` counts those.
   * @default 'repository'
   */
  readonly verify?: 'repository' | 'storage';
}

const DEFAULT_PATH = '/api/projects/:projectId/regenerate-thumbnails';

interface Resolved {
  readonly pattern: RegExp;
  readonly authorize: RecoveryEndpointOptions['authorize'];
  readonly respond: NonNullable<RecoveryEndpointOptions['respond']>;
  readonly logger: RecoveryLogger;
  readonly verify: 'repository' | 'storage';
  /** Runs in flight, by project and mode: concurrent requests share one. */
  readonly inFlight: Map<string, Promise<RegenerationReport>>;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function resolve(options: RecoveryEndpointOptions): Resolved {
  const path = options.path ?? DEFAULT_PATH;
  if (typeof path !== 'string' || !path.startsWith('/') || path.split(':projectId').length !== 2) {
    throw new InvalidOptionError('path', 'a path starting with "/" containing ":projectId" once', path);
  }
  const [before, after] = path.split(':projectId') as [string, string];
  const pattern = new RegExp(`^${escapeRegExp(before)}([^/]+)${escapeRegExp(after.replace(/\/$/, ''))}/?$`);
  if (options.authorize !== undefined && typeof options.authorize !== 'function') throw new InvalidOptionError('authorize', 'a function', options.authorize);
  if (options.respond !== undefined && typeof options.respond !== 'function') throw new InvalidOptionError('respond', 'a function', options.respond);
  const logger = options.logger ?? { error: (message, fields) => console.error(message, fields) };
  if (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function') throw new InvalidOptionError('logger', 'an object with an error method', logger);
  const verify = oneOf('verify', options.verify ?? 'repository', ['repository', 'storage']);
  return { pattern, authorize: options.authorize, respond: options.respond ?? ((reply) => reply), logger, verify, inFlight: new Map() };
}

let counter = 0;
function correlationId(): string {
  return `rec-${Date.now().toString(36)}-${(++counter).toString(36)}`;
}

function fail(status: number, code: string, message: string, extra: Record<string, unknown> = {}): RecoveryReply {
  return { status, body: { success: false, error: { code, message, ...extra } } };
}

/** Matches the path: `undefined` off the route, `null` for a malformed %-escape. */
function projectFrom(r: Resolved, path: string): string | null | undefined {
  const match = r.pattern.exec(path);
  if (match === null) return undefined;
  try {
    const projectId = decodeURIComponent(match[1] as string);
    return projectId.includes('/') || projectId.length === 0 ? null : projectId; // no encoded slashes
  } catch {
    return null;
  }
}

/** Everything between "this request is on the route" and the reply; never throws. */
async function answer(r: Resolved, manager: ThumbnailManager, request: RecoveryRequest, check: () => RecoveryReply | undefined, dryRunValue: unknown, limitValue: unknown): Promise<RecoveryReply> {
  const id = correlationId();
  const internal = (error: unknown): RecoveryReply => {
    try {
      r.logger.error('Thumbnail recovery failed', { correlationId: id, err: error, projectId: request.projectId });
    } catch {
      // A broken logger must not turn a 500 into a crash.
    }
    return fail(500, 'ERR_INTERNAL', 'Thumbnail recovery failed; see the server logs', { correlationId: id });
  };
  try {
    // Nothing about the request is answered before it is authorised (not even a 400 or a 405).
    if (r.authorize !== undefined) {
      const verdict = await r.authorize(request);
      if (verdict === 401) return fail(401, 'ERR_UNAUTHORIZED', 'Authentication required');
      if (verdict !== true) return fail(403, 'ERR_FORBIDDEN', 'Not allowed');
    }
  } catch (error) {
    return internal(error);
  }
  const early = check();
  if (early !== undefined) return early;
  let query: { dryRun: boolean; limit: number };
  try {
    query = parseRecoveryQuery(dryRunValue, limitValue);
  } catch (error) {
    // The caller's own mistake in the query is safe to explain.
    if (isInvalidOptionError(error)) return fail(400, error.code, error.message);
    return internal(error);
  }
  try {
    const { dryRun, limit } = query;
    // Single flight: concurrent identical requests for a project share one run instead of rendering
    // everything N times.
    const key = `${request.projectId}\u0000${dryRun}\u0000${limit}`;
    let run = r.inFlight.get(key);
    if (run === undefined) {
      run = manager.regenerateMissing({ projectId: request.projectId, dryRun, limit, verify: r.verify }).finally(() => r.inFlight.delete(key));
      r.inFlight.set(key, run);
    }
    const { durationMs, failures, ...report } = await run;
    // Per-item failures keep their code; their messages (which can hold credentials and paths) go
    // to the logger under this reply's correlation id.
    if (failures.length > 0) {
      try {
        r.logger.error('Thumbnail recovery: some thumbnails failed', { correlationId: id, err: failures, projectId: request.projectId });
      } catch {
        // ignore
      }
    }
    const safeFailures = failures.map((f) => ({ segmentationId: f.segmentationId, code: f.code, attempts: f.attempts, retriable: f.retriable, message: 'Thumbnail generation failed; see the server logs' }));
    // The backend's clients read `processingTime`: the report's `durationMs` under its HTTP name.
    return { status: 200, body: { success: true, data: { ...report, failures: safeFailures, processingTime: durationMs, ...(failures.length > 0 ? { correlationId: id } : {}) } } };
  } catch (error) {
    return internal(error);
  }
}

/** A reply's JSON, or `undefined` when `respond` produced something that cannot be sent. */
function serialise(reply: RecoveryReply): { status: number; text: string } | undefined {
  try {
    if (typeof reply !== 'object' || reply === null || !Number.isInteger(reply.status) || reply.status < 200 || reply.status > 599) return undefined;
    const text = JSON.stringify(reply.body);
    return typeof text === 'string' ? { status: reply.status, text } : undefined;
  } catch {
    return undefined;
  }
}

/** The last resort when a reply cannot be serialised: generic, logged. */
function unsendable(r: Resolved, request: RecoveryRequest | undefined): { status: number; text: string } {
  const id = correlationId();
  try {
    r.logger.error('Thumbnail recovery: respond() returned a reply that cannot be sent', { correlationId: id, err: undefined, projectId: request?.projectId });
  } catch {
    // ignore
  }
  return { status: 500, text: JSON.stringify({ success: false, error: { code: 'ERR_INTERNAL', message: 'Thumbnail recovery failed; see the server logs', correlationId: id } }) };
}

function shape(r: Resolved, reply: RecoveryReply, request: RecoveryRequest | undefined): RecoveryReply {
  try {
    return r.respond(reply, request);
  } catch (error) {
    const id = correlationId();
    try {
      r.logger.error('Thumbnail recovery: respond() threw', { correlationId: id, err: error, projectId: request?.projectId });
    } catch {
      // ignore
    }
    return fail(500, 'ERR_INTERNAL', 'Thumbnail recovery failed; see the server logs', { correlationId: id });
  }
}

/**
 * The recovery endpoint as a Web-standard handler (`Request` → `Response`), for Node's `fetch`-style
 * servers, Hono, Bun, Deno, Next.js route handlers…: `POST /api/projects/:projectId/regenerate-thumbnails`
 * (see `path`) with `?dryRun=true` and `?limit=50` (1..1000). Answers `{ success: true, data: report }`;
 * `400` with `{ success: false, error: { code, message } }` for a bad `limit`/`dryRun` or a malformed
 * path; `401`/`403` from `authorize`; `404`/`405` off the route; `500` with a generic message and a
 * `correlationId` (the details go to `logger`). Concurrent requests for one project share one run.
 *
 * @example
 * ```ts
 * const handler = createRecoveryHandler(thumbnails, { authorize: (r) => r.headers['x-admin'] === 'yes' });
 * Bun.serve({ fetch: handler });
 * ```
 */
export function createRecoveryHandler(manager: ThumbnailManager, options: RecoveryEndpointOptions = {}): (request: Request) => Promise<Response> {
  const r = resolve(options);
  const send = (reply: RecoveryReply, request: RecoveryRequest | undefined, headers: Record<string, string> = {}): Response => {
    const out = serialise(shape(r, reply, request)) ?? unsendable(r, request);
    return new Response(out.text, { status: out.status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
  };
  return async (raw) => {
    let url: URL;
    try {
      url = new URL(raw.url);
    } catch {
      return send(fail(400, 'ERR_BAD_REQUEST', 'Malformed URL'), undefined);
    }
    const projectId = projectFrom(r, url.pathname);
    if (projectId === undefined) return send(fail(404, 'ERR_NOT_FOUND', 'Not found'), undefined);
    const headers: Record<string, string> = {};
    raw.headers.forEach((value, name) => (headers[name] = value));
    const request: RecoveryRequest = { method: raw.method, path: url.pathname, headers, projectId: projectId ?? '', raw };
    let allow: Record<string, string> = {};
    const reply = await answer(
      r,
      manager,
      request,
      () => {
        if (projectId === null) return fail(400, 'ERR_BAD_REQUEST', 'Malformed project id in the path');
        if (raw.method !== 'POST') {
          allow = { allow: 'POST' };
          return fail(405, 'ERR_METHOD_NOT_ALLOWED', 'Use POST');
        }
        return undefined;
      },
      url.searchParams.getAll('dryRun').length > 1 ? url.searchParams.getAll('dryRun') : (url.searchParams.get('dryRun') ?? undefined),
      url.searchParams.getAll('limit').length > 1 ? url.searchParams.getAll('limit') : (url.searchParams.get('limit') ?? undefined),
    );
    return send(reply, request, allow);
  };
}

/** The parts of an Express (or Connect) request the middleware reads. */
export interface ExpressLikeRequest {
  readonly method?: string;
  readonly url?: string;
  readonly originalUrl?: string;
  readonly query?: unknown;
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** The parts of an Express (or plain `http.ServerResponse`) response the middleware uses. */
export interface ExpressLikeResponse {
  statusCode: number;
  readonly headersSent?: boolean;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/**
 * The recovery endpoint as Express (or Connect) middleware: `app.use(middleware)` answers the exact
 * route (see `path`) and passes everything else to `next()`. It never crashes the server: a failure
 * to write the reply (headers already sent by another middleware, a closed socket) goes to
 * `next(error)` or, when too late for that, to `logger`.
 */
export function createRecoveryMiddleware(
  manager: ThumbnailManager,
  options: RecoveryEndpointOptions = {},
): (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void) => void {
  const r = resolve(options);
  return (req, res, next) => {
    const target = req.originalUrl ?? req.url ?? '/';
    const path = target.split('?')[0] ?? '';
    const projectId = projectFrom(r, path);
    if (projectId === undefined || (req.method ?? 'GET').toUpperCase() !== 'POST') {
      next();
      return;
    }
    const write = (reply: RecoveryReply, request: RecoveryRequest | undefined): void => {
      const out = serialise(shape(r, reply, request)) ?? unsendable(r, request);
      try {
        if (res.headersSent === true) throw new Error('Cannot answer the thumbnail recovery: headers were already sent');
        res.statusCode = out.status;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(out.text);
      } catch (error) {
        if (res.headersSent !== true) next(error);
        else {
          try {
            r.logger.error('Thumbnail recovery: could not write the reply', { correlationId: correlationId(), err: error, projectId: projectId ?? undefined });
          } catch {
            // ignore
          }
        }
      }
    };
    let query: URLSearchParams;
    try {
      query = new URL(target, 'http://localhost').searchParams;
    } catch {
      query = new URLSearchParams();
    }
    const fromObject = typeof req.query === 'object' && req.query !== null ? (req.query as Record<string, unknown>) : {};
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers ?? {})) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : (value as string | undefined);
    const request: RecoveryRequest = { method: 'POST', path, headers, projectId: projectId ?? '', raw: req };
    const pick = (name: string): unknown => fromObject[name] ?? (query.getAll(name).length > 1 ? query.getAll(name) : (query.get(name) ?? undefined));
    void answer(r, manager, request, () => (projectId === null ? fail(400, 'ERR_BAD_REQUEST', 'Malformed project id in the path') : undefined), pick('dryRun'), pick('limit')).then((reply) => write(reply, request));
  };
}
