import { BulwarkError } from '../../errors/bulwark-error.js';

/** The repository has no segmentation with this id. */
export class SegmentationNotFoundError extends BulwarkError {
  static readonly code = 'ERR_BULWARK_SEGMENTATION_NOT_FOUND' as const;
  override name = 'SegmentationNotFoundError';
  /** The id that was asked for. */
  readonly segmentationId: string;

  constructor(segmentationId: string) {
    super(SegmentationNotFoundError.code, `Segmentation ${JSON.stringify(segmentationId)} not found`);
    this.segmentationId = segmentationId;
  }
}
