// A real Redis for tests: see scripts/servers.mjs (`redis-server` on a free localhost port, in a
// temporary directory, no persistence).
export { findRedis, startRedis, type Server as RedisServer } from './postgres.js';
