// The backend's two Prisma tables, in memory, with the exact calls its code makes (so repository.mjs
// reads as it would over `@prisma/client`). The shapes are the backend's own:
//   model Image        { id, projectId, name, storagePath, thumbnailPath?, segmentationStatus, createdAt }
//   model Segmentation { id, imageId @unique, polygons String /* JSON */, createdAt }
// A stand-in for the database only; everything bulwark sees goes through repository.mjs.

function matches(row, where = {}) {
  return Object.entries(where).every(([field, expected]) =>
    expected !== null && typeof expected === 'object' && 'in' in expected ? expected.in.includes(row[field]) : row[field] === expected,
  );
}

function table() {
  const rows = new Map();
  return {
    async create({ data }) {
      const row = { createdAt: new Date(), ...data };
      rows.set(row.id, row);
      return { ...row };
    },
    async findUnique({ where }) {
      const key = Object.keys(where)[0];
      for (const row of rows.values()) if (row[key] === where[key]) return { ...row };
      return null;
    },
    async findMany({ where, orderBy, take, cursor, skip = 0, select } = {}) {
      let list = [...rows.values()].filter((row) => matches(row, where));
      if (orderBy) {
        const [[field, direction]] = Object.entries(orderBy);
        list.sort((a, b) => (a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * (direction === 'desc' ? -1 : 1));
      }
      if (cursor) list = list.slice(list.findIndex((row) => row.id === cursor.id));
      list = list.slice(skip, take === undefined ? undefined : skip + take);
      return list.map((row) => (select ? Object.fromEntries(Object.keys(select).map((k) => [k, row[k]])) : { ...row }));
    },
    async count({ where } = {}) {
      return [...rows.values()].filter((row) => matches(row, where)).length;
    },
    async update({ where, data }) {
      const row = rows.get(where.id);
      if (!row) throw Object.assign(new Error(`Record to update not found: ${where.id}`), { code: 'P2025' });
      Object.assign(row, data);
      return { ...row };
    },
    async upsert({ where, create, update }) {
      const existing = await this.findUnique({ where });
      return existing ? this.update({ where: { id: existing.id }, data: update }) : this.create({ data: create });
    },
  };
}

export function createDatabase() {
  return { image: table(), segmentation: table() };
}
