import { BulwarkError } from '../../errors/bulwark-error.js';

const CODE = 'ERR_BULWARK_TOO_MANY_POLYGONS';

/** More polygons than `maxPolygons` were given for one image. */
export class TooManyPolygonsError extends BulwarkError {
  static readonly code = CODE;
  override name = 'TooManyPolygonsError';
  /** How many polygons were given. */
  readonly count: number;
  /** The configured limit. */
  readonly maxPolygons: number;

  constructor(count: number, maxPolygons: number) {
    super(CODE, `Too many polygons: ${count} given, at most ${maxPolygons} allowed (maxPolygons)`);
    this.count = count;
    this.maxPolygons = maxPolygons;
  }
}
