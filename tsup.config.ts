import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    thumbnails: 'src/thumbnails/index.ts',
    email: 'src/email/index.ts',
    queue: 'src/queue/index.ts',
    postgres: 'src/postgres/index.ts',
    bullmq: 'src/bullmq/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
  // sharp and bullmq are optional peers: never bundled, resolved from the user's project.
  external: ['sharp', 'bullmq'],
  // Keep `node:` specifiers: they cannot be shadowed by a package of the same name.
  removeNodeProtocol: false,
});
