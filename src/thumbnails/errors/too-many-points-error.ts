import { BulwarkError } from '../../errors/bulwark-error.js';

const CODE = 'ERR_BULWARK_TOO_MANY_POINTS';

/**
 * The polygons of one image have more points in total than `maxPoints`. Counted before any point is
 * validated or drawn, so an oversized segmentation costs a loop over array lengths, not a render.
 */
export class TooManyPointsError extends BulwarkError {
  static readonly code = CODE;
  override name = 'TooManyPointsError';
  /** How many points the polygons have in total. */
  readonly count: number;
  /** The configured limit. */
  readonly maxPoints: number;

  constructor(count: number, maxPoints: number) {
    super(CODE, `Too many points: ${count} given over all polygons, at most ${maxPoints} allowed (maxPoints)`);
    this.count = count;
    this.maxPoints = maxPoints;
  }
}
