import { InvalidOptionError } from '../errors/invalid-option-error.js';
// The sharp-free leaves of bulwark/thumbnails only (its entry would bring the renderer along).
import { fromBackendPolygons } from '../thumbnails/mappers.js';
import type { Polygon } from '../thumbnails/ports.js';

/**
 * Where a `PostgresRepository` finds images, their thumbnails and their segmentation polygons: table
 * and column names (quoted as identifiers, never interpolated as SQL). One record per segmented image:
 * its id is the image's id.
 */
export interface PostgresLayout {
  readonly images: {
    /** Table name. */
    readonly table: string;
    /** Its schema. @default none (the search path) */
    readonly schema?: string;
    /** Primary key (any type; compared with the id as text parameter). */
    readonly id: string;
    /** The project the image belongs to. */
    readonly projectId: string;
    /** The source image's storage key. */
    readonly imageKey: string;
    /** Orders "oldest first"; `NOT NULL` (a row without it cannot be placed in the order). */
    readonly createdAt: string;
    /** The thumbnail's storage key; `NULL` while there is none. */
    readonly thumbnailKey: string;
    /** The thumbnail's width, filled by `saveThumbnail`. @default none (not recorded) */
    readonly thumbnailWidth?: string;
    /** The thumbnail's height. @default none (not recorded) */
    readonly thumbnailHeight?: string;
    /** The thumbnail's format (`webp`, `jpeg`, `png`). @default none (not recorded) */
    readonly thumbnailFormat?: string;
    /** The thumbnail's size in bytes. @default none (not recorded) */
    readonly thumbnailBytes?: string;
    /** Set to `now()` by `saveThumbnail`. @default none (not recorded) */
    readonly thumbnailUpdatedAt?: string;
    /**
     * Only images whose `column` equals `done` count as segmented (for `findMissingThumbnails` and
     * `listThumbnails`). The value is written into the SQL as a quoted literal, so a partial index
     * with the same condition is used.
     * @default every image counts
     */
    readonly status?: { readonly column: string; readonly done: string };
  };
  readonly segmentations: {
    /** Table name. */
    readonly table: string;
    /** Its schema. @default none (the search path) */
    readonly schema?: string;
    /** The column referencing the image's id (one segmentation per image). */
    readonly imageId: string;
    /** The polygons column. */
    readonly polygons: string;
    /**
     * Turns the column's value into polygons. `jsonb` holds bulwark's `Polygon[]` as is (validated at
     * render time); a column in another shape needs its mapper, e.g. `fromBackendPolygons` for the
     * segmentation backend's JSON string.
     * @default the value as `Polygon[]`
     */
    readonly parse?: (value: unknown) => readonly Polygon[];
  };
}

/**
 * bulwark's own layout, created by {@link postgresSchema}: `bulwark_images` (one row per uploaded
 * image, with its segmentation status and thumbnail) and `bulwark_segmentations` (polygons as JSONB).
 */
export const bulwarkLayout: PostgresLayout = {
  images: {
    table: 'bulwark_images',
    id: 'id',
    projectId: 'project_id',
    imageKey: 'image_key',
    createdAt: 'created_at',
    thumbnailKey: 'thumbnail_key',
    thumbnailWidth: 'thumbnail_width',
    thumbnailHeight: 'thumbnail_height',
    thumbnailFormat: 'thumbnail_format',
    thumbnailBytes: 'thumbnail_bytes',
    thumbnailUpdatedAt: 'thumbnail_updated_at',
    status: { column: 'segmentation_status', done: 'completed' },
  },
  segmentations: { table: 'bulwark_segmentations', imageId: 'image_id', polygons: 'polygons' },
};

/**
 * The segmentation backend's Prisma schema: `"Image"` (`id`, `projectId`, `storagePath`,
 * `thumbnailPath`, `segmentationStatus` = `'completed'`, `createdAt`) and `"Segmentation"` (`imageId`,
 * `polygons` as a JSON string of the backend's polygon objects, read by `fromBackendPolygons`).
 */
export const prismaBackendLayout: PostgresLayout = {
  images: {
    table: 'Image',
    id: 'id',
    projectId: 'projectId',
    imageKey: 'storagePath',
    createdAt: 'createdAt',
    thumbnailKey: 'thumbnailPath',
    status: { column: 'segmentationStatus', done: 'completed' },
  },
  segmentations: { table: 'Segmentation', imageId: 'imageId', polygons: 'polygons', parse: (value) => fromBackendPolygons(value as string) },
};

/** @internal A quoted identifier: `"name"`, inner quotes doubled; NUL and empty names refused. */
export function ident(name: string, option: string): string {
  // PostgreSQL truncates identifiers past 63 bytes (UTF-8), silently: two long names would be one.
  if (typeof name !== 'string' || name === '' || name.includes('\u0000') || new TextEncoder().encode(name).length > 63) {
    throw new InvalidOptionError(option, 'a non-empty identifier of at most 63 bytes (UTF-8)', name);
  }
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * @internal A quoted string literal that reads the same whatever `standard_conforming_strings` says:
 * an escape string (`E'…'`) with quotes and backslashes doubled.
 */
export function literal(value: string, option: string): string {
  if (typeof value !== 'string' || value.includes('\u0000')) throw new InvalidOptionError(option, 'a string without NUL', value);
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** 32-bit FNV-1a of a string, as 8 hex digits. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** @internal A layout with every name checked and quoted once. */
export interface ResolvedLayout {
  readonly images: string;
  readonly segmentations: string;
  readonly id: string;
  readonly projectId: string;
  readonly imageKey: string;
  readonly createdAt: string;
  readonly thumbnailKey: string;
  /** `col = $n` assignments beyond the key, with the ThumbnailInfo field each takes. */
  readonly extras: ReadonlyArray<readonly [string, 'width' | 'height' | 'format' | 'bytes']>;
  readonly updatedAt: string | undefined;
  /** ` AND "status" = 'done'`, or empty. */
  readonly done: string;
  readonly imageId: string;
  readonly polygons: string;
  readonly parse: (value: unknown) => readonly Polygon[];
}

const asPolygons = (value: unknown): readonly Polygon[] => (value === null || value === undefined ? [] : (value as readonly Polygon[]));

/** @internal */
export function resolveLayout(layout: PostgresLayout): ResolvedLayout {
  if (typeof layout !== 'object' || layout === null || typeof layout.images !== 'object' || typeof layout.segmentations !== 'object') {
    throw new InvalidOptionError('layout', 'an object `{ images, segmentations }`', layout);
  }
  const i = layout.images;
  const s = layout.segmentations;
  const table = (t: { readonly table: string; readonly schema?: string }, name: string): string =>
    t.schema === undefined ? ident(t.table, `layout.${name}.table`) : `${ident(t.schema, `layout.${name}.schema`)}.${ident(t.table, `layout.${name}.table`)}`;
  const optional = (name: string | undefined, option: string): string | undefined => (name === undefined ? undefined : ident(name, option));
  const extras: Array<readonly [string, 'width' | 'height' | 'format' | 'bytes']> = [];
  for (const [column, field] of [[i.thumbnailWidth, 'width'], [i.thumbnailHeight, 'height'], [i.thumbnailFormat, 'format'], [i.thumbnailBytes, 'bytes']] as const) {
    const quoted = optional(column, `layout.images.thumbnail${field[0]?.toUpperCase()}${field.slice(1)}`);
    if (quoted !== undefined) extras.push([quoted, field]);
  }
  if (s.parse !== undefined && typeof s.parse !== 'function') throw new InvalidOptionError('layout.segmentations.parse', 'a function', s.parse);
  return {
    images: table(i, 'images'),
    segmentations: table(s, 'segmentations'),
    id: ident(i.id, 'layout.images.id'),
    projectId: ident(i.projectId, 'layout.images.projectId'),
    imageKey: ident(i.imageKey, 'layout.images.imageKey'),
    createdAt: ident(i.createdAt, 'layout.images.createdAt'),
    thumbnailKey: ident(i.thumbnailKey, 'layout.images.thumbnailKey'),
    extras,
    updatedAt: optional(i.thumbnailUpdatedAt, 'layout.images.thumbnailUpdatedAt'),
    done: i.status === undefined ? '' : ` AND ${ident(i.status.column, 'layout.images.status.column')} = ${literal(i.status.done, 'layout.images.status.done')}`,
    imageId: ident(s.imageId, 'layout.segmentations.imageId'),
    polygons: ident(s.polygons, 'layout.segmentations.polygons'),
    parse: s.parse ?? asPolygons,
  };
}

/**
 * The indexes `findMissingThumbnails` and `listThumbnails` need on a layout's images table (run them
 * once, e.g. in a migration): the images still missing a thumbnail and those that have one, each by
 * project and age, so both read an index range and stop at `LIMIT` — never the whole table. Partial
 * indexes, with the layout's status condition.
 */
export function postgresIndexes(layout: PostgresLayout = bulwarkLayout): string[] {
  const l = resolveLayout(layout);
  // Readable, and unique per schema-qualified table (a hash of the full name): `img-a` and `img_a`,
  // or two long names alike in their first characters, never share index names.
  const full = `${layout.images.schema ?? ''}.${layout.images.table}`;
  const base = `${layout.images.table.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 32)}_${fnv1a(full)}`;
  const where = l.done.replace(/^ AND /, ' AND ');
  return [
    `CREATE INDEX IF NOT EXISTS ${ident(`${base}_missing`, 'index')} ON ${l.images} (${l.projectId}, ${l.createdAt}, ${l.id}) WHERE ${l.thumbnailKey} IS NULL${where}`,
    `CREATE INDEX IF NOT EXISTS ${ident(`${base}_done`, 'index')} ON ${l.images} (${l.projectId}, ${l.createdAt}, ${l.id}) WHERE ${l.thumbnailKey} IS NOT NULL${where}`,
  ];
}

/**
 * The statements that create bulwark's own layout ({@link bulwarkLayout}) with its indexes; each is
 * idempotent (`IF NOT EXISTS`).
 */
export function postgresSchema(): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS "bulwark_images" (
  "id" text PRIMARY KEY,
  "project_id" text NOT NULL,
  "image_key" text NOT NULL,
  "segmentation_status" text NOT NULL DEFAULT 'pending',
  "created_at" timestamptz NOT NULL DEFAULT now(),
  "thumbnail_key" text,
  "thumbnail_width" integer,
  "thumbnail_height" integer,
  "thumbnail_format" text,
  "thumbnail_bytes" integer,
  "thumbnail_updated_at" timestamptz
)`,
    `CREATE TABLE IF NOT EXISTS "bulwark_segmentations" (
  "image_id" text PRIMARY KEY REFERENCES "bulwark_images" ("id") ON DELETE CASCADE,
  "polygons" jsonb NOT NULL DEFAULT '[]',
  "created_at" timestamptz NOT NULL DEFAULT now()
)`,
    ...postgresIndexes(bulwarkLayout),
  ];
}
