import { BulwarkError } from '../../errors/bulwark-error.js';

/** More polygons than `maxPolygons` were given for one image. */
export class TooManyPolygonsError extends BulwarkError {
  static readonly code = 'ERR_BULWARK_TOO_MANY_POLYGONS' as const;
  override name = 'TooManyPolygonsError';
  /** How many polygons were given. */
  readonly count: number;
  /** The configured limit. */
  readonly maxPolygons: number;

  constructor(count: number, maxPolygons: number) {
    super(TooManyPolygonsError.code, `Too many polygons: ${count} given, at most ${maxPolygons} allowed (maxPolygons)`);
    this.count = count;
    this.maxPolygons = maxPolygons;
  }
}
