import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { integer, number, oneOf } from '../internal/validate.js';
import type { ThumbnailRenderOptions } from './options.js';
import type { Style } from './overlay.js';
import { isColor } from './polygon-validation.js';

/** @internal Render options after validation. */
export interface ResolvedRenderOptions {
  readonly width: number;
  readonly height: number;
  readonly fit: 'inside' | 'cover' | 'fill';
  readonly format: 'jpeg' | 'webp' | 'png';
  readonly quality: number;
  readonly style: Style;
  readonly maxPolygons: number;
  readonly maxPoints: number;
  readonly invalidPolygons: 'fail' | 'skip';
  readonly limitInputPixels: number;
  readonly failOn: 'none' | 'truncated' | 'error' | 'warning';
  readonly normalize: 'auto' | 'always' | 'never';
  readonly polygonSpace: 'oriented' | 'raw';
  readonly background: string;
}

function color(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (isColor(value)) return value;
  throw new InvalidOptionError(name, 'a hex colour like "#FF0000"', value);
}

function marker(name: string, value: { readonly radius?: number; readonly color?: string } | undefined): { readonly radius: number; readonly color: string } | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new InvalidOptionError(name, 'an object `{ radius?, color? }`', value);
  return { radius: number(`${name}.radius`, value.radius ?? 2, 0.5, 50), color: color(`${name}.color`, value.color, '#FFFF00') };
}

/** @internal Validates render options once. */
export function resolveRenderOptions(options: ThumbnailRenderOptions = {}): ResolvedRenderOptions {
  const classes = new Map<string, string>();
  for (const [name, value] of Object.entries(options.colors?.classes ?? {})) classes.set(name, color(`colors.classes.${name}`, value, ''));
  return {
    width: integer('width', options.width ?? 300, 1, 10_000),
    height: integer('height', options.height ?? 300, 1, 10_000),
    fit: oneOf('fit', options.fit ?? 'inside', ['inside', 'cover', 'fill']),
    format: oneOf('format', options.format ?? 'jpeg', ['jpeg', 'webp', 'png']),
    quality: integer('quality', options.quality ?? 80, 1, 100),
    style: {
      external: color('colors.external', options.colors?.external, '#FF0000'),
      internal: color('colors.internal', options.colors?.internal, '#0000FF'),
      classes,
      fillOpacity: number('fillOpacity', options.fillOpacity ?? 0.4, 0, 1),
      strokeWidth: number('strokeWidth', options.strokeWidth ?? 2, 0, 50),
      tolerance: number('simplifyTolerance', options.simplifyTolerance ?? 0.3, 0, 5),
      holeFill: options.holeFill === undefined ? undefined : color('holeFill', options.holeFill, ''),
      vertexMarkers: marker('vertexMarkers', options.vertexMarkers),
      endMarkers: marker('endMarkers', options.endMarkers),
    },
    maxPolygons: integer('maxPolygons', options.maxPolygons ?? 10_000, 0),
    maxPoints: integer('maxPoints', options.maxPoints ?? 1_000_000, 0),
    invalidPolygons: oneOf('invalidPolygons', options.invalidPolygons ?? 'fail', ['fail', 'skip']),
    limitInputPixels: integer('limitInputPixels', options.limitInputPixels ?? 268_402_689, 1),
    failOn: oneOf('failOn', options.failOn ?? 'warning', ['none', 'truncated', 'error', 'warning']),
    normalize: oneOf('normalize', options.normalize ?? 'auto', ['auto', 'always', 'never']),
    polygonSpace: oneOf('polygonSpace', options.polygonSpace ?? 'oriented', ['oriented', 'raw']),
    background: color('background', options.background, '#000000'),
  };
}
