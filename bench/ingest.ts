// Benchmark: ingest of 1,000- and 10,000-row CSVs by the upload service (real processes: upload + product service,
// PostgreSQL, RabbitMQ). Measures the time to the 202 answer (no image is fetched on that path), the
// time until the outbox relay has published every job, and the upload service's peak RSS (the kernel's
// VmHWM for the process). Writes bench/results/ingest.json and ingest.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { QUEUES } from '@ipp/contracts';
import { dropDatabase, ensureDatabase } from '@ipp/platform';
import { createTestVhost, freePort, startService } from '@ipp/platform/testing';
import amqplib from 'amqplib';

const here = import.meta.dirname;
const ROWS = Number(process.env.BENCH_INGEST_ROWS ?? 10_000);
const RUNS = Number(process.env.BENCH_INGEST_RUNS ?? 5);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ipp_bench_ingest';
const HEADER = 'Serial Number,Product Name,Input Image Urls';

const round = (value: number) => Math.round(value * 10) / 10;
const mib = (kib: number) => round(kib / 1024);

/** A CSV of `rows` products, `urlsPerRow` image URLs each (never fetched: they point nowhere routable). */
function csvOf(rows: number, urlsPerRow: number, run: number) {
  const lines = [HEADER];
  for (let row = 0; row < rows; row += 1) {
    const urls = Array.from(
      { length: urlsPerRow },
      (_, index) => `https://images.example.com/${run}/${row}-${index}.jpg`,
    );
    lines.push(`SKU-${String(row).padStart(6, '0')},Product ${row},"${urls.join(',')}"`);
  }
  return `${lines.join('\n')}\n`;
}

/** The kernel's record of a process's resident memory, in KiB: now (VmRSS) and its peak (VmHWM). */
function memoryOf(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { rss_kib: field('VmRSS'), peak_kib: field('VmHWM') };
}

async function queued(url: string) {
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue(QUEUES.jobs)).messageCount;
  } finally {
    await connection.close();
  }
}

async function purge(url: string) {
  const connection = await amqplib.connect(url);
  const channel = await connection.createChannel();
  await channel.purgeQueue(QUEUES.jobs);
  await connection.close();
}

async function main() {
  await dropDatabase(DATABASE_URL).catch(() => undefined);
  await ensureDatabase(DATABASE_URL);
  const vhost = await createTestVhost('bench_ingest');
  const storageDir = await mkdtemp(path.join(tmpdir(), 'ipp-bench-ingest-'));
  const [productPort, uploadPort] = [await freePort(), await freePort()];
  const common = { DATABASE_URL, AMQP_URL: vhost.url, LOG_LEVEL: 'warn' };
  const product = await startService({
    entry: path.join(here, '../services/product/src/main.ts'),
    env: { ...common, PRODUCT_PORT: String(productPort) },
    readyUrl: `http://127.0.0.1:${productPort}/health/ready`,
    timeoutMs: 60_000,
  });
  const uploadUrl = `http://127.0.0.1:${uploadPort}`;
  const upload = await startService({
    entry: path.join(here, '../services/upload/src/main.ts'),
    env: {
      ...common,
      UPLOAD_PORT: String(uploadPort),
      STORAGE_DIR: storageDir,
      PRODUCT_SERVICE_URL: `http://127.0.0.1:${productPort}`,
      CSV_MAX_ROWS: String(ROWS),
    },
    readyUrl: `${uploadUrl}/health/ready`,
    timeoutMs: 60_000,
  });
  const pid = upload.child.pid as number;
  try {
    const idle = memoryOf(pid);
    // The small one first: VmHWM after it is the peak of the 1,000-row uploads alone.
    const scenarios = [
      { name: '1,000 rows × 1 URL', rows: 1000, urlsPerRow: 1 },
      { name: `${ROWS.toLocaleString('en')} rows × 1 URL`, rows: ROWS, urlsPerRow: 1 },
      { name: `${ROWS.toLocaleString('en')} rows × 3 URLs`, rows: ROWS, urlsPerRow: 3 },
    ];
    const results = [];
    let run = 0;
    for (const scenario of scenarios) {
      const accept: number[] = [];
      const publish: number[] = [];
      let csvBytes = 0;
      for (let sample = 0; sample < RUNS; sample += 1) {
        run += 1;
        const csv = csvOf(scenario.rows, scenario.urlsPerRow, run);
        csvBytes = Buffer.byteLength(csv);
        const form = new FormData();
        form.set('file', new Blob([csv], { type: 'text/csv' }), 'products.csv');
        const started = performance.now();
        const response = await fetch(`${uploadUrl}/api/upload`, { method: 'POST', body: form });
        const body = (await response.json()) as { total: number };
        const accepted = performance.now();
        if (response.status !== 202) throw new Error(`upload answered ${response.status}: ${JSON.stringify(body)}`);
        while ((await queued(vhost.url)) < body.total) await new Promise((resolve) => setTimeout(resolve, 20));
        const published = performance.now();
        accept.push(accepted - started);
        publish.push(published - accepted);
        await purge(vhost.url);
        console.log(
          `${scenario.name} run ${sample + 1}: 202 in ${round(accepted - started)} ms, jobs published ${round(published - accepted)} ms later`,
        );
      }
      accept.sort((a, b) => a - b);
      publish.sort((a, b) => a - b);
      const jobs = scenario.rows * scenario.urlsPerRow;
      results.push({
        scenario: scenario.name,
        csv_bytes: csvBytes,
        jobs,
        accept_ms: {
          min: round(accept[0] ?? 0),
          median: round(accept[Math.floor(RUNS / 2)] ?? 0),
          max: round(accept.at(-1) ?? 0),
        },
        publish_ms_median: round(publish[Math.floor(RUNS / 2)] ?? 0),
        jobs_per_s: Math.round(jobs / ((publish[Math.floor(RUNS / 2)] ?? 1) / 1000)),
        // VmHWM never decreases: after the first scenario it is that scenario's peak, after the second both.
        peak_rss_mib_so_far: mib(memoryOf(pid).peak_kib),
      });
    }
    const peak = memoryOf(pid);
    const report = {
      benchmark: 'ingest',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', load_1m_at_end: round(loadavg()[0] ?? 0) },
      rows: ROWS,
      runs_per_scenario: RUNS,
      upload_service_memory_mib: {
        idle_rss: mib(idle.rss_kib),
        peak_rss: mib(peak.peak_kib),
        rss_after: mib(peak.rss_kib),
      },
      results,
    };
    mkdirSync(path.join(here, 'results'), { recursive: true });
    writeFileSync(path.join(here, 'results', 'ingest.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(here, 'results', 'ingest.md'), markdown(report));
    console.log(markdown(report));
  } finally {
    await upload.stop();
    await product.stop();
    await vhost.drop();
    await rm(storageDir, { recursive: true, force: true });
    await dropDatabase(DATABASE_URL).catch(() => undefined);
  }
}

type Report = {
  date: string;
  rows: number;
  runs_per_scenario: number;
  machine: { cpus: number; load_1m_at_end: number };
  upload_service_memory_mib: { idle_rss: number; peak_rss: number; rss_after: number };
  results: Array<{
    scenario: string;
    csv_bytes: number;
    jobs: number;
    accept_ms: { min: number; median: number; max: number };
    publish_ms_median: number;
    jobs_per_s: number;
    peak_rss_mib_so_far: number;
  }>;
};

function markdown(report: Report) {
  const memory = report.upload_service_memory_mib;
  const lines = [
    '## Ingest',
    '',
    `\`POST /api/upload\` of a CSV straight to the upload service (real upload and product service processes, ` +
      `PostgreSQL, RabbitMQ; products created on the first run, matched afterwards), ${report.runs_per_scenario} runs ` +
      `per row, ${report.machine.cpus} CPUs (1-minute load ${report.machine.load_1m_at_end} at the end: other work shared the machine), ${report.date}. "202" is the time to the answer (every row checked, ` +
      'products ensured, request + items + outbox written in one transaction); "published" is how long after ' +
      'the answer the outbox relay had every job confirmed by RabbitMQ.',
    '',
    '| CSV | size | jobs | 202 min ms | 202 median ms | 202 max ms | published (median) ms | relay jobs/s | peak RSS so far MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...report.results.map(
      (result) =>
        `| ${result.scenario} | ${(result.csv_bytes / 1024).toFixed(0)} KiB | ${result.jobs.toLocaleString('en')} | ` +
        `${result.accept_ms.min} | ${result.accept_ms.median} | ${result.accept_ms.max} | ${result.publish_ms_median} | ` +
        `${result.jobs_per_s.toLocaleString('en')} | ${result.peak_rss_mib_so_far} |`,
    ),
    '',
    `Upload service memory: ${memory.idle_rss} MiB RSS idle, peak ${memory.peak_rss} MiB during the runs (VmHWM), ` +
      `${memory.rss_after} MiB after.`,
    '',
  ];
  return `${lines.join('\n')}\n`;
}

await main();
