import { BulwarkError } from '../../errors/bulwark-error.js';

const CODE = 'ERR_BULWARK_INVALID_POLYGON';

/** A polygon is unusable: too few points, a non-finite coordinate, an unknown type or geometry. */
export class InvalidPolygonError extends BulwarkError {
  static readonly code = CODE;
  override name = 'InvalidPolygonError';
  /** The polygon's position in the input array. */
  readonly index: number;
  /** The polygon's `id`, when it has one. */
  readonly polygonId: string | undefined;
  /** What is wrong with it, e.g. `a polygon needs at least 3 points, got 2`. */
  readonly problem: string;

  constructor(index: number, polygonId: string | undefined, problem: string) {
    super(CODE, `Invalid polygon ${polygonId === undefined ? `#${index}` : `"${polygonId}" (#${index})`}: ${problem}`);
    this.index = index;
    this.polygonId = polygonId;
    this.problem = problem;
  }
}
