// The only file that imports sharp. It is loaded lazily, so `bulwark/thumbnails` can be imported
// (for its types, adapters and errors) by an app that installs sharp later.
import type { Sharp, SharpOptions } from 'sharp';
import { SharpMissingError } from './errors/sharp-missing-error.js';

export type { Sharp, SharpOptions };

/** @internal sharp's default export. */
export type SharpFactory = (input?: Uint8Array | string, options?: SharpOptions) => Sharp;

let loading: Promise<SharpFactory> | undefined;

/** @internal Loads sharp once; a typed error when it is not installed. */
export function loadSharp(): Promise<SharpFactory> {
  loading ??= import('sharp').then(
    (module) => ((module as { default?: SharpFactory }).default ?? (module as unknown as SharpFactory)),
    (error: unknown) => {
      loading = undefined;
      throw new SharpMissingError({ cause: error });
    },
  );
  return loading;
}
