import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // Built and run as real containers by `npm run test:deploy` (vitest.deploy.config.ts): minutes, not seconds.
    exclude: ['**/node_modules/**', 'deploy/checks/images.test.ts'],
    globalSetup: ['./scripts/test-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
