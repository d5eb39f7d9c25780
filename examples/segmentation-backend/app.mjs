// The segmentation backend's thumbnail hand-off, done right: after each batch of segmentation results
// is saved (as the backend saves them: the model's polygons as a JSON string on the Segmentation row),
// the image ids go to ThumbnailManager.generateMany and the request awaits it — every batch, not just
// the last one — and the recovery endpoint is mounted for anything lost anyway.
import express from 'express';
import { createRecoveryMiddleware } from 'bulwark/thumbnails';

/**
 * @param {object} deps
 * @param {import('bulwark/thumbnails').ThumbnailManager} deps.thumbnails
 * @param {ReturnType<import('./db.mjs').createDatabase>} deps.prisma
 * @param {(storagePath: string) => Promise<object[]>} deps.segment the model: polygons in the backend's format
 */
export function createApp({ thumbnails, prisma, segment }) {
  const app = express();
  app.use(express.json({ limit: '1mb' }));

  // POST /api/projects/:projectId/segmentations { imageIds: [...] }: segment (or re-segment) images.
  app.post('/api/projects/:projectId/segmentations', async (req, res, next) => {
    try {
      const { projectId } = req.params;
      const imageIds = Array.isArray(req.body?.imageIds) ? req.body.imageIds.map(String) : [];
      // 1. Segment and save every result of this batch, exactly as the backend stores it.
      for (const imageId of imageIds) {
        const image = await prisma.image.findUnique({ where: { id: imageId } });
        if (!image || image.projectId !== projectId) continue;
        const polygons = JSON.stringify(await segment(image.storagePath));
        await prisma.segmentation.upsert({ where: { imageId }, create: { id: `seg-${imageId}`, imageId, polygons }, update: { polygons } });
        await prisma.image.update({ where: { id: imageId }, data: { segmentationStatus: 'completed' } });
      }
      // 2. Hand the ids to the thumbnail manager and await it: no fire-and-forget.
      const report = await thumbnails.generateMany(imageIds);
      res.status(report.failed.length === 0 ? 201 : 207).json({
        success: report.failed.length === 0,
        data: {
          segmented: imageIds.length,
          thumbnails: report.succeeded,
          failed: report.failed.map((f) => ({ id: f.item, code: f.error?.code, message: f.error?.message })),
          durationMs: report.durationMs,
        },
      });
    } catch (error) {
      next(error);
    }
  });

  // The recovery endpoint: POST /api/projects/:projectId/regenerate-thumbnails?dryRun=true&limit=50.
  // verify: 'storage' also finds thumbnails whose file is gone, not only rows without a path.
  app.post('/api/projects/:projectId/regenerate-thumbnails', createRecoveryMiddleware(thumbnails, { verify: 'storage' }));

  app.get('/api/metrics', (_req, res) => res.json(thumbnails.metrics()));
  return app;
}
