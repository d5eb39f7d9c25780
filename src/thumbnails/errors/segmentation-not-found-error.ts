import { BulwarkError } from '../../errors/bulwark-error.js';

const CODE = 'ERR_BULWARK_SEGMENTATION_NOT_FOUND';

/** The repository has no segmentation with this id. */
export class SegmentationNotFoundError extends BulwarkError {
  static readonly code = CODE;
  override name = 'SegmentationNotFoundError';
  /** The id that was asked for. */
  readonly segmentationId: string;

  constructor(segmentationId: string) {
    super(CODE, `Segmentation ${JSON.stringify(segmentationId)} not found`);
    this.segmentationId = segmentationId;
  }
}
