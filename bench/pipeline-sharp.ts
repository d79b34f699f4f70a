// Benchmark (a): the worker's sharp pipeline alone, in one process, at the worker's concurrency — the
// ceiling the end-to-end pipeline is measured against. `ensurePhotoFixtures` is shared with that bench.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { configureSharp, processImage } from '../services/image-worker/src/process-image.ts';
import { photoJpeg } from '../services/image-worker/src/testing/images.ts';

export type FixtureOptions = { count?: number; width?: number; height?: number; quality?: number; directory?: string };

/** Photo-like JPEGs generated once into a cache outside git (default /tmp), reused by every later run. */
export async function ensurePhotoFixtures(options: FixtureOptions = {}) {
  const { count = 100, width = 2725, height = 2225, quality = 90 } = options;
  const directory = options.directory ?? path.join(tmpdir(), 'ipp-bench-fixtures', `${width}x${height}-q${quality}`);
  await mkdir(directory, { recursive: true });
  const files = Array.from({ length: count }, (_, index) =>
    path.join(directory, `photo-${String(index).padStart(4, '0')}.jpg`),
  );
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length) console.log(`generating ${missing.length} ${width}×${height} fixtures in ${directory}`);
  for (const file of missing) await writeFile(file, await photoJpeg(width, height, { quality }));
  return files;
}

/**
 * Processes every input with `concurrency` images in flight; the ceiling for the end-to-end pipeline.
 * Also returns the CPU seconds this process spent per image (user + system).
 */
export async function sharpAlone(inputs: Buffer[], concurrency: number, optimizeCoding = true) {
  configureSharp({ imagesInFlight: concurrency, cores: availableParallelism() });
  const options = { quality: 50, format: 'original' as const, max_width: null, max_height: null };
  let next = 0;
  let outputBytes = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < inputs.length) {
        const input = inputs[next++] as Buffer;
        const output = await processImage(input, options, { maxPixels: 50_000_000, optimizeCoding });
        outputBytes += output.data.length; // after the await: `x += await y` would lose concurrent updates
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    cpu_s_per_image: Math.round((cpu.user + cpu.system) / inputs.length / 100) / 1e4,
    concurrency,
    images: inputs.length,
    seconds: round(seconds),
    images_per_s: round(inputs.length / seconds),
    outputBytes,
  };
}

const round = (value: number) => Math.round(value * 100) / 100;

async function main() {
  const files = await ensurePhotoFixtures();
  const inputs = await Promise.all(files.map((file) => readFile(file)));
  const inputBytes = inputs.reduce((sum, input) => sum + input.length, 0);
  const workerConcurrency = availableParallelism();
  const loadBefore = loadavg()[0];
  await sharpAlone(inputs.slice(0, 4), workerConcurrency);
  const levels = [...new Set([1, workerConcurrency, workerConcurrency * 2])];
  const runs = [];
  for (const concurrency of levels) {
    const result = await sharpAlone(inputs, concurrency);
    console.log(`concurrency ${concurrency}: ${result.images_per_s} images/s`);
    runs.push(result);
  }
  const atWorker = runs.find((result) => result.concurrency === workerConcurrency);
  const report = {
    benchmark: 'pipeline-sharp',
    date: new Date().toISOString(),
    machine: {
      cores: workerConcurrency,
      cpu: cpus()[0]?.model,
      node: process.version,
      sharp: sharp.versions.sharp,
      vips: sharp.versions.vips,
    },
    // Other processes share this machine: a load well above the core count means the figures are low.
    load_1m: { before: round(loadBefore ?? 0), after: round(loadavg()[0] ?? 0) },
    fixtures: {
      count: inputs.length,
      width: 2725,
      height: 2225,
      source_quality: 90,
      mean_input_bytes: Math.round(inputBytes / inputs.length),
    },
    pipeline: 'worker processImage: auto-orient, sRGB, strip metadata, JPEG quality 50, WebP thumbnail 320 px',
    worker_concurrency: workerConcurrency,
    images_per_s_at_worker_concurrency: atWorker?.images_per_s,
    runs: runs.map(({ outputBytes, ...result }) => ({
      ...result,
      mean_output_bytes: Math.round(outputBytes / inputs.length),
    })),
  };
  const results = path.join(import.meta.dirname, 'results');
  await mkdir(results, { recursive: true });
  await writeFile(path.join(results, 'pipeline-sharp.json'), `${JSON.stringify(report, null, 2)}\n`);
  const rows = report.runs.map(
    (result) =>
      `| ${result.concurrency} | ${result.images} | ${result.seconds} | **${result.images_per_s}** | ${result.mean_output_bytes} |`,
  );
  await writeFile(
    path.join(results, 'pipeline-sharp.md'),
    [
      '## Pipeline: sharp alone',
      '',
      `${inputs.length} photo-like JPEGs of 2725×2225 (mean ${report.fixtures.mean_input_bytes} bytes) through the worker's`,
      `\`processImage\` in one process (${report.pipeline}); ${workerConcurrency} cores, sharp ${report.machine.sharp} / libvips ${report.machine.vips}.`,
      `At the worker's default concurrency (${workerConcurrency}): **${atWorker?.images_per_s} images/s**`,
      `(1-minute load average ${report.load_1m.before} before, ${report.load_1m.after} after: other work shared the cores).`,
      '',
      '| images in flight | images | seconds | images/s | mean output bytes |',
      '|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
  // The directory listing keeps the fixture cache's location visible in the log.
  console.log(
    `fixtures: ${(await readdir(path.dirname(files[0] ?? ''))).length} files in ${path.dirname(files[0] ?? '')}`,
  );
}

if (import.meta.main) await main();
