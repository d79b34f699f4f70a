// What only tests use: test files and their helpers, by the names this repository gives them. No image may
// hold one; .dockerignore leaves them out of the build context.
const patterns = [
  /\.test\.ts$/, // the tests
  /(^|\/)testing\//, // a package's testing/ folder: every helper (platform/src/testing/, services/upload/src/testing/)
  /(^|\/)testing\.ts$/, // a module's own helpers beside it (platform/src/storage/testing.ts)
];

export function isTestCode(path: string) {
  return patterns.some((pattern) => pattern.test(path));
}
