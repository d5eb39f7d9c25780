// Test-side types for the real servers of scripts/servers.mjs (shared with the distributed example
// and its benchmark): PostgreSQL found on PATH or under /usr/lib/postgresql/*/bin, initialised in a
// temporary directory, on a free localhost port; as root, run as the `postgres` user.
// @ts-expect-error -- plain JavaScript module, typed below
import * as servers from '../../scripts/servers.mjs';

export interface Server {
  readonly host: string;
  readonly port: number;
  /** A connection string (PostgreSQL: the `postgres` superuser, trust authentication). */
  readonly url: string;
  stop(): Promise<void>;
}
export type PostgresServer = Server;

export const findPostgres = servers.findPostgres as () => string | undefined;
export const findRedis = servers.findRedis as () => string | undefined;
export const freePort = servers.freePort as () => Promise<number>;
export const startPostgres = servers.startPostgres as (options?: { readonly maxConnections?: number }) => Promise<Server>;
export const startRedis = servers.startRedis as () => Promise<Server>;

/** Whether a missing server must fail the suite instead of skipping it (CI sets this). */
export const serversRequired = process.env['BULWARK_REQUIRE_SERVERS'] === '1';
