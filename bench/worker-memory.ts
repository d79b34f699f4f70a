// Benchmark: peak and settled RSS of a real worker process processing 4000×3000 JPEGs at full
// concurrency over repeated batches, under glibc malloc, MALLOC_ARENA_MAX=2 and jemalloc (LD_PRELOAD).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createTestVhost, freePort, startService } from '@ipp/platform/testing';
import { connectTestBroker, waitFor } from '../services/image-worker/src/testing/broker.ts';
import { serveBytes, startImageServer } from '../services/image-worker/src/testing/image-server.ts';
import { jobsOf } from '../services/image-worker/src/testing/jobs.ts';
import { ensurePhotoFixtures } from './pipeline-sharp.ts';

const BATCHES = 4;
const BATCH_SIZE = 12;
const MB = 1024 * 1024;

/** libjemalloc.so.2, installed with apt-get when missing; undefined when it cannot be had. */
function jemallocLibrary(): string | undefined {
  if (spawnSync('dpkg', ['-s', 'libjemalloc2'], { stdio: 'ignore' }).status !== 0) {
    console.log('installing libjemalloc2');
    spawnSync('apt-get', ['install', '-y', 'libjemalloc2'], { stdio: 'inherit' });
  }
  try {
    return execFileSync('dpkg', ['-L', 'libjemalloc2'], { encoding: 'utf8' })
      .split('\n')
      .find((file) => file.endsWith('/libjemalloc.so.2') && existsSync(file));
  } catch {
    return undefined;
  }
}

async function memoryOf(pid: number) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

const toMb = (bytes: number) => Math.round(bytes / MB);

async function measure(variant: { name: string; env: Record<string, string> }, sources: string[], amqpUrl: string) {
  const broker = await connectTestBroker(amqpUrl);
  const storageDir = await mkdtemp(path.join(tmpdir(), 'ipp-worker-memory-'));
  const port = await freePort();
  const worker = await startService({
    entry: path.join(import.meta.dirname, '../services/image-worker/src/main.ts'),
    env: {
      ...variant.env,
      AMQP_URL: amqpUrl,
      STORAGE_DIR: storageDir,
      WORKER_PORT: String(port),
      FETCH_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8',
    },
    readyUrl: `http://127.0.0.1:${port}/health/ready`,
  });
  const pid = worker.child.pid as number;
  const idle = (await memoryOf(pid)).rss;
  const batches = [];
  const started = performance.now();
  for (let batch = 0; batch < BATCHES; batch++) {
    const jobs = jobsOf(BATCH_SIZE, (index) => ({ kind: 'url', url: sources[index % sources.length] as string }));
    const requestId = jobs[0]?.request_id as string;
    let peak = 0;
    const sampler = setInterval(() => {
      memoryOf(pid).then(
        ({ rss }) => {
          peak = Math.max(peak, rss);
        },
        () => undefined,
      );
    }, 50);
    await broker.publish(jobs);
    await waitFor(
      () => broker.events.filter((event) => event.request_id === requestId).length >= BATCH_SIZE,
      300_000,
      'a batch',
    );
    clearInterval(sampler);
    const failed = broker.events.filter((event) => event.request_id === requestId && event.type !== 'image.processed');
    if (failed.length) throw new Error(`${failed.length} images failed: ${JSON.stringify(failed[0])}`);
    // What the process keeps once the batch is done and the allocator has had a moment.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    batches.push({ peak_mb: toMb(peak), after_mb: toMb((await memoryOf(pid)).rss) });
  }
  const seconds = (performance.now() - started) / 1000 - BATCHES * 2;
  const { peak } = await memoryOf(pid);
  await worker.stop();
  await broker.close();
  await rm(storageDir, { recursive: true, force: true });
  const first = batches[0]?.after_mb ?? 0;
  const last = batches.at(-1)?.after_mb ?? 0;
  return {
    allocator: variant.name,
    idle_mb: toMb(idle),
    peak_mb: toMb(peak),
    after_last_batch_mb: last,
    growth_first_to_last_batch_mb: last - first,
    images_per_s: Math.round(((BATCHES * BATCH_SIZE) / seconds) * 100) / 100,
    batches,
  };
}

async function main() {
  const sources = await ensurePhotoFixtures({ count: 6, width: 4000, height: 3000 });
  const server = await startImageServer(
    Object.fromEntries(
      await Promise.all(
        sources.map(async (file, index) => [`/${index}.jpg`, serveBytes(await readFile(file), 'image/jpeg')]),
      ),
    ),
  );
  const urls = sources.map((_, index) => server.url(`/${index}.jpg`));
  const jemalloc = jemallocLibrary();
  const variants: Array<{ name: string; env: Record<string, string> }> = [
    { name: 'glibc malloc (default)', env: {} },
    { name: 'glibc, MALLOC_ARENA_MAX=2', env: { MALLOC_ARENA_MAX: '2' } },
    ...(jemalloc ? [{ name: 'jemalloc (LD_PRELOAD)', env: { LD_PRELOAD: jemalloc } }] : []),
  ];
  const vhost = await createTestVhost('bench_worker_memory');
  const loadBefore = loadavg()[0] ?? 0;
  const runs = [];
  try {
    for (const variant of variants) {
      const result = await measure(variant, urls, vhost.url);
      console.log(`${result.allocator}: peak ${result.peak_mb} MB, after ${result.after_last_batch_mb} MB`);
      runs.push(result);
    }
  } finally {
    await vhost.drop();
    await server.close();
  }
  // Lower settled and peak memory wins; settled memory (what stays between batches) weighs first.
  const winner = [...runs].sort(
    (a, b) => a.after_last_batch_mb + a.peak_mb / 2 - (b.after_last_batch_mb + b.peak_mb / 2),
  )[0];
  const report = {
    benchmark: 'worker-memory',
    date: new Date().toISOString(),
    cores: availableParallelism(),
    worker_concurrency: availableParallelism(),
    load_1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    sources: { count: sources.length, width: 4000, height: 3000 },
    batches: BATCHES,
    batch_size: BATCH_SIZE,
    jemalloc: jemalloc ?? 'not available',
    winner: winner?.allocator,
    runs,
  };
  const results = path.join(import.meta.dirname, 'results');
  await mkdir(results, { recursive: true });
  await writeFile(path.join(results, 'worker-memory.json'), `${JSON.stringify(report, null, 2)}\n`);
  const rows = runs.map(
    (run) =>
      `| ${run.allocator} | ${run.idle_mb} | **${run.peak_mb}** | ${run.batches.map((batch) => batch.after_mb).join(' → ')} | ${run.growth_first_to_last_batch_mb} | ${run.images_per_s} |`,
  );
  await writeFile(
    path.join(results, 'worker-memory.md'),
    [
      '## Worker memory',
      '',
      `One worker process (WORKER_CONCURRENCY=${report.worker_concurrency}) processing ${BATCHES} batches of ${BATCH_SIZE} JPEGs of 4000×3000`,
      `fetched from a local server; RSS sampled every 50 ms, "after" measured 2 s after each batch. 1-minute load average`,
      `${report.load_1m.before} → ${report.load_1m.after} (the machine is shared). Winner: **${report.winner}**.`,
      '',
      '| allocator | idle MB | peak MB | RSS after each batch, MB | growth first→last batch, MB | images/s |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

if (import.meta.main) await main();
