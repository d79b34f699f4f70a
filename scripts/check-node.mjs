// Fails fast when a script runs on the wrong Node.js major (e.g. `npm ci --ignore-scripts` skipped the `node` package).
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(
    `This project runs on Node.js 24 (found ${process.versions.node} at ${process.execPath}).\n` +
      'Run it through npm scripts after `npm install` (the `node@24` devDependency puts node_modules/.bin/node first),\n' +
      'and do not install with --ignore-scripts.',
  );
  process.exit(1);
}
