// bulwark's SegmentationRepository over the backend's own tables: one record per segmented image
// (its id is the image id), polygons read from the stored JSON string by `fromBackendPolygons`, the
// thumbnail path kept on the image row as the backend does. This and the two options in
// createThumbnails() are all the glue the backend needs.
import { FileSystemStorage, ThumbnailManager, fromBackendPolygons } from 'bulwark/thumbnails';

/** @returns {import('bulwark/thumbnails').SegmentationRepository} */
export function createRepository(prisma) {
  const done = (projectId) => ({ projectId, segmentationStatus: 'completed' });
  return {
    async getSegmentation(imageId) {
      const image = await prisma.image.findUnique({ where: { id: imageId } });
      const segmentation = image && (await prisma.segmentation.findUnique({ where: { imageId } }));
      if (!image || !segmentation) return undefined;
      return {
        id: image.id,
        projectId: image.projectId,
        imageKey: image.storagePath,
        thumbnailKey: image.thumbnailPath ?? undefined,
        polygons: fromBackendPolygons(segmentation.polygons),
      };
    },
    async saveThumbnail(imageId, thumbnail) {
      await prisma.image.update({ where: { id: imageId }, data: { thumbnailPath: thumbnail.key } });
    },
    async findMissingThumbnails({ projectId, limit }) {
      const missingWhere = { ...done(projectId), thumbnailPath: null };
      const [totalImages, missing, rows] = await Promise.all([
        prisma.image.count({ where: done(projectId) }),
        prisma.image.count({ where: missingWhere }),
        prisma.image.findMany({ where: missingWhere, orderBy: { createdAt: 'asc' }, take: limit, select: { id: true } }),
      ]);
      return { totalImages, missing, ids: rows.map((row) => row.id) };
    },
    // For regenerateMissing({ verify: 'storage' }): thumbnails the database records, a page at a time.
    async listThumbnails({ projectId, limit, after }) {
      const rows = await prisma.image.findMany({
        where: done(projectId),
        orderBy: { id: 'asc' },
        take: limit + 1,
        ...(after === undefined ? {} : { cursor: { id: after }, skip: 1 }),
      });
      const page = rows.slice(0, limit);
      return {
        items: page.filter((row) => row.thumbnailPath !== null).map((row) => ({ id: row.id, key: row.thumbnailPath })),
        next: rows.length > limit ? page[page.length - 1].id : undefined,
      };
    },
  };
}

/**
 * The backend names a segmentation thumbnail `uploads/<projectId>/thumbnails/<imageId>_<Date.now()>.<ext>`;
 * `ownsKey` recognises exactly that shape, so a regeneration deletes the previous file and nothing else.
 */
export const backendThumbnailKey = (record, ext) => `uploads/${record.projectId}/thumbnails/${record.id}_${Date.now()}.${ext}`;
export const ownsBackendThumbnail = (key, record) =>
  key.startsWith(`uploads/${record.projectId}/thumbnails/${record.id}_`) && /_\d+\.(?:jpg|webp|png)$/.test(key);

export function createThumbnails({ prisma, root }) {
  return new ThumbnailManager({
    storage: new FileSystemStorage({ root }),
    repository: createRepository(prisma),
    keyFor: backendThumbnailKey,
    ownsKey: ownsBackendThumbnail,
    // The backend's look: red objects, blue holes tinted over them, class colours, vertex dots.
    format: 'webp',
    holeFill: '#0000FF',
    colors: { classes: { spheroid: '#FF0000', cell: '#00C000' } },
    vertexMarkers: { radius: 1, color: '#FFFF00' },
    concurrency: 5,
    retry: { maxAttempts: 3, initialDelayMs: 100 },
  });
}
