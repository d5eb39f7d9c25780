// The segmentation backend's thumbnail hand-off, done right: after each batch of segmentation results
// is saved, the ids go to ThumbnailManager.generateMany and the request awaits it — every batch, not
// just the last one — and the recovery endpoint is mounted for anything lost anyway.
import express from 'express';
import { createRecoveryMiddleware } from 'bulwark/thumbnails';

/**
 * @param {object} deps
 * @param {import('bulwark/thumbnails').ThumbnailManager} deps.thumbnails
 * @param {import('bulwark/thumbnails').MemoryRepository} deps.repository
 * @param {(imageKey: string) => Promise<import('bulwark/thumbnails').Polygon[]>} deps.segment the model
 */
export function createApp({ thumbnails, repository, segment }) {
  const app = express();
  app.use(express.json({ limit: '1mb' }));

  // POST /api/projects/:projectId/segmentations { images: [{ id, imageKey }] }
  app.post('/api/projects/:projectId/segmentations', async (req, res, next) => {
    try {
      const { projectId } = req.params;
      const images = Array.isArray(req.body?.images) ? req.body.images : [];
      // 1. Segment and save every result of this batch.
      for (const image of images) {
        const polygons = await segment(image.imageKey);
        repository.add({ id: image.id, projectId, imageKey: image.imageKey, polygons });
      }
      // 2. Hand the ids to the thumbnail manager and await it: no fire-and-forget.
      const report = await thumbnails.generateMany(images.map((i) => i.id));
      res.status(report.failed.length === 0 ? 201 : 207).json({
        success: report.failed.length === 0,
        data: {
          segmented: images.length,
          thumbnails: report.succeeded,
          failed: report.failed.map((f) => ({ id: f.item, code: f.error?.code, message: f.error?.message })),
          durationMs: report.durationMs,
        },
      });
    } catch (error) {
      next(error);
    }
  });

  // The recovery endpoint: POST /api/projects/:projectId/regenerate-thumbnails?dryRun=true&limit=50
  app.post('/api/projects/:projectId/regenerate-thumbnails', createRecoveryMiddleware(thumbnails));

  app.get('/api/metrics', (_req, res) => res.json(thumbnails.metrics()));
  return app;
}
