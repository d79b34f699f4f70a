import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, expect, it } from 'vitest';
import { flushTelemetry, withSpan } from './telemetry.ts';

const exporter = new InMemorySpanExporter();
const sdk = new NodeSDK({
  spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 60_000 })],
  instrumentations: [],
  resourceDetectors: [],
});
sdk.start();
afterAll(() => sdk.shutdown());

it('exports the spans the batch processor still holds', async () => {
  await withSpan('csv.generate', {}, () => undefined);
  expect(exporter.getFinishedSpans()).toHaveLength(0);
  await flushTelemetry();
  expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['csv.generate']);
});
