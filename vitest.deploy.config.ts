import { defineConfig } from 'vitest/config';

// `npm run test:deploy`: every deploy check, the real-container ones included. One file at a time: an
// image build uses both cores.
export default defineConfig({
  test: {
    include: ['deploy/checks/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['./scripts/test-global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
