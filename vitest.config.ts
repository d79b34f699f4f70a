import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // Real containers and the Kubernetes node, run by `npm run test:deploy` (vitest.deploy.config.ts): minutes
    // each, and their tools (podman, the Compose CLI, the stand-in images, Kubernetes built from source) are
    // built by the scripts `.ci/run` calls first.
    exclude: [
      '**/node_modules/**',
      'deploy/checks/images.test.ts',
      'deploy/checks/compose-up.test.ts',
      'deploy/checks/compose-prod-up.test.ts',
      'deploy/checks/kubernetes-cluster.test.ts',
    ],
    globalSetup: ['./scripts/test-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
