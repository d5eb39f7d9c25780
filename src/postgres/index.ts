// bulwark/postgres: a SegmentationRepository over PostgreSQL. `pg` is an optional peer: this module
// never imports it, it takes your pool.
export { PostgresRepository } from './postgres-repository.js';
export type { PostgresQueryable, PostgresRepositoryOptions } from './postgres-repository.js';
export { bulwarkLayout, prismaBackendLayout, postgresIndexes, postgresSchema } from './layout.js';
export type { PostgresLayout } from './layout.js';
