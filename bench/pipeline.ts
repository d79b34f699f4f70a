// Benchmark (b): the whole pipeline end to end — CSV upload through the gateway to a completed status —
// with one and with two worker processes, against (a) sharp alone in one process, measured in the same run;
// and (c) one worker storing in S3 (a local versitygw) instead of the directory, alternating with (b).

import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { UploadAcceptedSchema, UploadStatusSchema } from '@ipp/contracts';
import { freePort } from '@ipp/platform/testing';
import { type ServiceName, type Stack, startStack } from '../e2e/src/stack.ts';
import { ensurePhotoFixtures, sharpAlone } from './pipeline-sharp.ts';

const round2 = (value = 0) => Math.round(value * 100) / 100;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const ROUNDS = 3;

/** Serves `/photo-<n>.jpg` from `bodies` on a loopback port. */
export async function serveFiles(bodies: Buffer[]) {
  const server = createServer((request, response) => {
    const index = Number(/^\/photo-(\d+)\.jpg/.exec(request.url ?? '')?.[1]);
    const body = bodies[index];
    if (!body) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** Uploads one CSV naming `count` images and returns the seconds from the request to the completed status. */
export async function uploadAndWait(stack: Stack, imagesUrl: string, count: number, tag: string) {
  const rows = Array.from(
    { length: count },
    (_, index) => `${tag}-${index},Bench ${tag} ${index},${imagesUrl}/photo-${index}.jpg?${tag}`,
  );
  const form = new FormData();
  form.set('file', new Blob([['Serial Number,Product Name,Input Image Urls', ...rows].join('\n')]), 'bench.csv');
  const started = performance.now();
  const response = await fetch(`${stack.gatewayUrl}/api/upload`, { method: 'POST', body: form });
  if (response.status !== 202) throw new Error(`upload answered ${response.status}: ${await response.text()}`);
  const { request_id: requestId } = UploadAcceptedSchema.parse(await response.json());
  for (;;) {
    const status = UploadStatusSchema.parse(await (await fetch(`${stack.gatewayUrl}/api/status/${requestId}`)).json());
    if (status.status === 'completed') return (performance.now() - started) / 1000;
    if (status.status !== 'queued' && status.status !== 'processing') {
      throw new Error(`bench upload ended ${status.status}: ${status.items.find((item) => item.error)?.error}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main() {
  const cores = availableParallelism();
  const files = await ensurePhotoFixtures();
  const inputs = await Promise.all(files.map((file) => readFile(file)));
  const images = await serveFiles(inputs);
  const loadBefore = loadavg()[0] ?? 0;

  await sharpAlone(inputs.slice(0, 4), cores);
  const services: ServiceName[] = ['product', 'upload', 'image-worker', 'gateway'];
  const env = { LOG_LEVEL: 'warn', WORKER_CONCURRENCY: String(cores), RATE_LIMIT_UPLOAD_POINTS: '1000' };
  const stack = await startStack({ label: 'bench_pipeline', services, env });
  const s3Stack = await startStack({ label: 'bench_pipeline_s3', storage: 's3', services, env });
  // Rounds alternate the baseline and the pipeline on each storage, so drift on a shared machine hits all alike.
  const aloneRates: number[] = [];
  const oneWorker: number[] = [];
  const oneWorkerS3: number[] = [];
  const twoWorkers: number[] = [];
  try {
    await uploadAndWait(stack, images.url, 4, 'warm');
    await uploadAndWait(s3Stack, images.url, 4, 'warm');
    for (let round = 1; round <= ROUNDS; round++) {
      aloneRates.push((await sharpAlone(inputs, cores)).images_per_s);
      oneWorker.push(inputs.length / (await uploadAndWait(stack, images.url, inputs.length, `one${round}`)));
      oneWorkerS3.push(inputs.length / (await uploadAndWait(s3Stack, images.url, inputs.length, `s3${round}`)));
      console.log(
        `round ${round}: sharp alone ${aloneRates.at(-1)} images/s, end to end ${round2(oneWorker.at(-1))} (fs), ${round2(oneWorkerS3.at(-1))} (s3)`,
      );
    }
    const second = await stack.startExtra('image-worker', { WORKER_PORT: String(await freePort()) });
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        twoWorkers.push(inputs.length / (await uploadAndWait(stack, images.url, inputs.length, `two${round}`)));
      }
      console.log(`2 workers: ${twoWorkers.map(round2).join(', ')} images/s`);
    } finally {
      await second.stop();
    }
  } finally {
    await Promise.all([stack.stop(), s3Stack.stop()]);
    images.close();
  }
  const alone = { images_per_s: round2(median(aloneRates)), rounds: aloneRates.map(round2) };
  const runs = [
    { workers: 1, images: inputs.length, images_per_s: round2(median(oneWorker)), rounds: oneWorker.map(round2) },
    { workers: 2, images: inputs.length, images_per_s: round2(median(twoWorkers)), rounds: twoWorkers.map(round2) },
  ];
  const s3 = {
    storage: 's3',
    workers: 1,
    images: inputs.length,
    images_per_s: round2(median(oneWorkerS3)),
    rounds: oneWorkerS3.map(round2),
  };
  const s3Percent = round2((s3.images_per_s / (runs[0]?.images_per_s ?? 1)) * 100);

  const ratio = (run: { images_per_s: number }) => round2((run.images_per_s / alone.images_per_s) * 100);
  const report = {
    benchmark: 'pipeline',
    date: new Date().toISOString(),
    machine: { cores, cpu: cpus()[0]?.model, node: process.version },
    load_1m: { before: round2(loadBefore), after: round2(loadavg()[0] ?? 0) },
    fixtures: { count: inputs.length, width: 2725, height: 2225 },
    worker_concurrency: cores,
    rounds: ROUNDS,
    sharp_alone: alone,
    end_to_end: runs.map((run) => ({ ...run, ratio_to_sharp_alone_percent: ratio(run) })),
    target: 'end to end with one worker ≥ 80 % of sharp alone',
    met: runs[0] ? ratio(runs[0]) >= 80 : false,
    s3: { ...s3, percent_of_fs: s3Percent, target: 'one worker on s3 ≥ 90 % of fs', met: s3Percent >= 90 },
  };
  const results = path.join(import.meta.dirname, 'results');
  await writeFile(path.join(results, 'pipeline.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(
    path.join(results, 'pipeline.md'),
    [
      '## Pipeline: end to end',
      '',
      `${inputs.length} JPEGs of 2725×2225 named in one CSV, uploaded through the gateway and timed until the request is`,
      '`completed` (fetch from a loopback image server, sharp, storage, events, status); gateway, upload, product, worker(s),',
      `PostgreSQL and RabbitMQ on the same ${cores} cores. Baseline: sharp alone in one process at the worker's concurrency`,
      `(${cores}), same run. 1-minute load average ${report.load_1m.before} before, ${report.load_1m.after} after.`,
      '',
      `Medians of ${ROUNDS} rounds; the baseline and the one-worker pipeline alternate round by round.`,
      '',
      '| run | images/s (median) | rounds | % of sharp alone |',
      '|---|---:|---|---:|',
      `| (a) sharp alone, ${cores} in flight | ${alone.images_per_s} | ${alone.rounds.join(', ')} | 100 |`,
      ...report.end_to_end.map(
        (run) =>
          `| (b) end to end, ${run.workers} worker${run.workers > 1 ? 's' : ''} | ${run.images_per_s} | ${run.rounds.join(', ')} | ${run.ratio_to_sharp_alone_percent} |`,
      ),
      `| (c) end to end, 1 worker, storage s3 (versitygw) | ${s3.images_per_s} | ${s3.rounds.join(', ')} | ${ratio(s3)} |`,
      '',
      `Target: ${report.target} — **${report.met ? 'met' : 'not met'}**.`,
      `Storage: (c) alternates with (b) round by round (STORAGE_DRIVER=s3 against a local versitygw, one bucket): ${s3Percent} % of`,
      `the directory's images/s; target ${report.s3.target} — **${report.s3.met ? 'met' : 'not met'}**.`,
      '',
    ].join('\n'),
  );
}

if (import.meta.main) await main();
