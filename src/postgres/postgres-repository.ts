import { stringCode } from '../classifiers/inspect.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { abortReason, untilAborted } from '../internal/abort.js';
import { SegmentationNotFoundError } from '../thumbnails/errors/segmentation-not-found-error.js';
import type { IoOptions, SegmentationRecord, SegmentationRepository, ThumbnailInfo } from '../thumbnails/ports.js';
import { bulwarkLayout, resolveLayout, type PostgresLayout, type ResolvedLayout } from './layout.js';

/**
 * What `PostgresRepository` needs of a client: `pg`'s `Pool` (recommended) or `Client`, or anything
 * with the same `query(text, values)`.
 */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ readonly rows: readonly unknown[]; readonly rowCount?: number | null }>;
}

/** Options of `new PostgresRepository()`. */
export interface PostgresRepositoryOptions {
  /** A `pg.Pool` (or anything with its `query`). */
  readonly pool: PostgresQueryable;
  /**
   * Tables and columns: bulwark's own (create them with `postgresSchema()`), the segmentation
   * backend's Prisma tables (`prismaBackendLayout`), or your own.
   * @default bulwarkLayout
   */
  readonly layout?: PostgresLayout;
}

/**
 * A `SegmentationRepository` over PostgreSQL, for `ThumbnailManager`: one parameterised statement per
 * call, `findMissingThumbnails` and `listThumbnails` served by partial indexes (see
 * `postgresIndexes`) with `LIMIT`, `saveThumbnail` one idempotent `UPDATE`. Errors are `pg`'s own, so
 * bulwark's database classifier decides what is retried (serialization failures, deadlocks, a killed
 * connection, too many connections) and what is not (constraint violations, syntax errors).
 *
 * A call's `signal` (the manager's `ioTimeoutMs`, or an abandoned run) ends the wait at once; `pg`
 * cannot cancel a query in flight, so set `statement_timeout` on the pool to bound the server side.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { PostgresRepository, prismaBackendLayout } from 'bulwark/postgres';
 *
 * const repository = new PostgresRepository({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }), layout: prismaBackendLayout });
 * ```
 */
export class PostgresRepository implements SegmentationRepository {
  readonly #pool: PostgresQueryable;
  readonly #l: ResolvedLayout;
  readonly #sql: { readonly get: string; readonly save: string; readonly missing: string; readonly list: string; readonly listAfter: string };

  /** @throws {InvalidOptionError} when `pool` has no `query` or the layout names are invalid. */
  constructor(options: PostgresRepositoryOptions) {
    if (typeof options !== 'object' || options === null || typeof options.pool?.query !== 'function') {
      throw new InvalidOptionError('pool', 'a pg.Pool (an object with `query(text, values)`)', options?.pool);
    }
    this.#pool = options.pool;
    const l = resolveLayout(options.layout ?? bulwarkLayout);
    this.#l = l;
    const sets = [`${l.thumbnailKey} = $2`, ...l.extras.map(([column], i) => `${column} = $${i + 3}`), ...(l.updatedAt === undefined ? [] : [`${l.updatedAt} = now()`])];
    // Every column qualified by the table's alias `t`, output names prefixed: an ORDER BY name that
    // matched an output column (`id` cast to text) would sort by the text, not by the key.
    const scope = `t.${l.projectId} = $1${l.done.replace(/^ AND /, ' AND t.')}`;
    const order = `t.${l.createdAt}, t.${l.id}`;
    const from = `FROM ${l.images} t`;
    this.#sql = {
      get: `SELECT t.${l.id}::text AS bulwark_id, t.${l.projectId}::text AS bulwark_project, t.${l.imageKey} AS bulwark_image_key, t.${l.thumbnailKey} AS bulwark_thumbnail_key, s.${l.polygons} AS bulwark_polygons ${from} JOIN ${l.segmentations} s ON s.${l.imageId} = t.${l.id} WHERE t.${l.id} = $1 LIMIT 1`,
      save: `UPDATE ${l.images} SET ${sets.join(', ')} WHERE ${l.id} = $1`,
      missing: `SELECT (SELECT count(*) ${from} WHERE ${scope} AND t.${l.thumbnailKey} IS NULL)::int AS bulwark_missing, (SELECT count(*) ${from} WHERE ${scope} AND t.${l.thumbnailKey} IS NOT NULL)::int AS bulwark_done, ARRAY(SELECT t.${l.id}::text ${from} WHERE ${scope} AND t.${l.thumbnailKey} IS NULL ORDER BY ${order} LIMIT $2) AS bulwark_ids`,
      list: `SELECT t.${l.id}::text AS bulwark_id, t.${l.thumbnailKey} AS bulwark_key, to_json(t.${l.createdAt}) #>> '{}' AS bulwark_at ${from} WHERE ${scope} AND t.${l.thumbnailKey} IS NOT NULL ORDER BY ${order} LIMIT $2`,
      listAfter: `SELECT t.${l.id}::text AS bulwark_id, t.${l.thumbnailKey} AS bulwark_key, to_json(t.${l.createdAt}) #>> '{}' AS bulwark_at ${from} WHERE ${scope} AND t.${l.thumbnailKey} IS NOT NULL AND (t.${l.createdAt}, t.${l.id}) > ($3, $4) ORDER BY ${order} LIMIT $2`,
    };
  }

  /** The segmented image with this id, its polygons parsed by the layout, or `undefined`. */
  async getSegmentation(id: string, options?: IoOptions): Promise<SegmentationRecord | undefined> {
    let rows: readonly unknown[];
    try {
      ({ rows } = await this.#query(this.#sql.get, [id], options));
    } catch (error) {
      if (dataError(error)) return undefined; // 'nope' on an integer or uuid key, a NUL: no such record
      throw error;
    }
    const row = rows[0] as { bulwark_id: string; bulwark_project: string; bulwark_image_key: string; bulwark_thumbnail_key: string | null; bulwark_polygons: unknown } | undefined;
    if (row === undefined) return undefined;
    return {
      id: row.bulwark_id,
      projectId: row.bulwark_project,
      imageKey: row.bulwark_image_key,
      polygons: this.#l.parse(row.bulwark_polygons),
      ...(row.bulwark_thumbnail_key === null ? {} : { thumbnailKey: row.bulwark_thumbnail_key }),
    };
  }

  /** Records the thumbnail: one `UPDATE`, the same outcome however often it runs. */
  async saveThumbnail(id: string, thumbnail: ThumbnailInfo, options?: IoOptions): Promise<void> {
    const values: unknown[] = [id, thumbnail.key, ...this.#l.extras.map(([, field]) => thumbnail[field])];
    let result: { readonly rowCount?: number | null };
    try {
      result = await this.#query(this.#sql.save, values, options);
    } catch (error) {
      if (dataError(error)) throw new SegmentationNotFoundError(id);
      throw error;
    }
    if (result.rowCount === 0) throw new SegmentationNotFoundError(id);
  }

  /** Segmented images of the project without a thumbnail, oldest first (two index-only counts and one index range, in one statement). */
  async findMissingThumbnails(query: { readonly projectId: string; readonly limit: number }, options?: IoOptions): Promise<{ totalImages: number; missing: number; ids: string[] }> {
    let rows: readonly unknown[];
    try {
      ({ rows } = await this.#query(this.#sql.missing, [query.projectId, query.limit], options));
    } catch (error) {
      if (dataError(error)) return { totalImages: 0, missing: 0, ids: [] }; // a project id its column cannot hold: no images
      throw error;
    }
    const row = rows[0] as { bulwark_missing: number; bulwark_done: number; bulwark_ids: string[] };
    return { totalImages: row.bulwark_missing + row.bulwark_done, missing: row.bulwark_missing, ids: row.bulwark_ids };
  }

  /** Recorded thumbnails of the project, oldest first, keyset-paginated (the cursor is opaque). */
  async listThumbnails(query: { readonly projectId: string; readonly limit: number; readonly after?: string }, options?: IoOptions): Promise<{ items: { id: string; key: string }[]; next?: string }> {
    let rows: readonly unknown[];
    const first = async (): Promise<readonly unknown[] | undefined> => {
      try {
        return (await this.#query(this.#sql.list, [query.projectId, query.limit + 1], options)).rows;
      } catch (error) {
        if (dataError(error)) return undefined; // a project id its column cannot hold: no images
        throw error;
      }
    };
    if (query.after === undefined) {
      rows = (await first()) ?? [];
    } else {
      const [at, id] = decodeCursor(query.after);
      try {
        ({ rows } = await this.#query(this.#sql.listAfter, [query.projectId, query.limit + 1, at, id], options));
      } catch (error) {
        if (!dataError(error)) throw error;
        // The project id or the cursor: a project its column cannot hold has no images; otherwise the
        // cursor (a timestamp or key that does not parse) was not one of ours.
        if ((await first()) === undefined) rows = [];
        else throw new InvalidOptionError('after', 'a cursor returned by listThumbnails as `next`', query.after);
      }
    }
    const page = (rows as Array<{ bulwark_id: string; bulwark_key: string; bulwark_at: string }>).slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({ id: row.bulwark_id, key: row.bulwark_key })),
      ...(rows.length > query.limit && last !== undefined ? { next: encodeCursor(last.bulwark_at, last.bulwark_id) } : {}),
    };
  }

  /** Runs a statement; a signal that aborts ends the wait with its reason (the query itself finishes on its own). */
  #query(text: string, values: unknown[], options: IoOptions | undefined): Promise<{ readonly rows: readonly unknown[]; readonly rowCount?: number | null }> {
    const signal = options?.signal;
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    return untilAborted(this.#pool.query(text, values), signal);
  }
}

/**
 * A value its column cannot hold (SQLSTATE class `22`, data exception: `22P02` not an integer or
 * uuid, `22003` out of range, `22021` a NUL byte, `22007`/`22008` a bad timestamp…): no row has it.
 */
function dataError(error: unknown): boolean {
  return stringCode(error)?.startsWith('22') === true;
}

function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && /^(?:\d{4,}-\d\d-\d\d[ T]\d|-?infinity$)/.test(value[0])) return [value[0], value[1]];
  } catch {
    // fall through
  }
  throw new InvalidOptionError('after', 'a cursor returned by listThumbnails as `next`', cursor);
}
