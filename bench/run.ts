// `npm run bench`: runs every benchmark in turn (each writes bench/results/<name>.json and .md),
// then gathers the tables into bench/results/README.md. Names as arguments run just those;
// `--summary` runs none and only gathers the committed results.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const all = ['gateway', 'gateway-stacks', 'search', 'pipeline-sharp', 'pipeline', 'worker-memory', 'ingest', 'tracing'];
const names = process.argv.slice(2).filter((name) => name !== '--summary');
const chosen = process.argv.includes('--summary') ? [] : names.length ? names : all;
const failed: string[] = [];
// wrk and nginx, which the HTTP benches drive, are Debian packages: installed when missing.
if (chosen.length)
  spawnSync('bash', [join(here, '..', 'scripts', 'tools', 'system-packages.sh')], { stdio: 'inherit' });

for (const name of chosen) {
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) {
    console.error(`bench/${name}.ts does not exist`);
    failed.push(name);
    continue;
  }
  console.log(`\n=== bench: ${name} ===`);
  const result = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (result.status !== 0) failed.push(name);
}

const sections = all
  .map((name) => join(here, 'results', `${name}.md`))
  .filter((file) => existsSync(file))
  .map((file) => readFileSync(file, 'utf8').trim());
writeFileSync(
  join(here, 'results', 'README.md'),
  `# Benchmark results\n\nWritten by \`npm run bench\`; each section comes from bench/results/<name>.md.\n\n${sections.join('\n\n')}\n`,
);
if (failed.length) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exit(1);
}
