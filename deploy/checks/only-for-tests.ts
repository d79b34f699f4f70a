// What only tests use: test files and their helpers, by the names this repository gives them. No image may
// hold one; .dockerignore leaves them out of the build context.
const patterns = [
  /\.test\.ts$/, // the tests
  /(^|\/)testing(-[^/]*)?\.ts$/, // platform/src/testing.ts, testing-sockets.ts, gateway/src/testing.ts
  /(^|\/)testing\//, // a package's testing/ folder (services/upload/src/testing/)
  /(^|\/)test-[^/]*\.ts$/, // services/health/src/test-rabbitmq.ts, services/product/src/test-app.ts
  /test-app\.ts$/, // any *test-app.ts
];

export function isTestCode(path: string) {
  return patterns.some((pattern) => pattern.test(path));
}
