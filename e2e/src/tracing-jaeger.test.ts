import { afterAll, beforeAll, expect, it } from 'vitest';
import { pngWithAlpha } from './fixtures.ts';
import { startImageServer, until } from './servers.ts';
import { type Stack, startStack, uploadInNewTrace } from './stack.ts';
import { startJaeger } from './tracing-jaeger.ts';

let jaeger: Awaited<ReturnType<typeof startJaeger>>;
let images: Awaited<ReturnType<typeof startImageServer>>;
let stack: Stack;

beforeAll(async () => {
  jaeger = await startJaeger();
  images = await startImageServer({ '/desk.png': { body: await pngWithAlpha(), type: 'image/png' } });
  stack = await startStack({
    label: 'tracing_jaeger',
    services: ['product', 'upload', 'image-worker', 'gateway'],
    // The default OTLP protocol (http/protobuf), as deployments use it.
    env: {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await images?.close();
  await jaeger?.stop();
});

it('shows one upload as one trace containing every service in a real Jaeger', async () => {
  const { traceId, response } = await uploadInNewTrace(stack.gatewayUrl, `JG-1,Jaeger Desk,${images.url}/desk.png`);
  expect(response.status).toBe(202);

  const expected = ['gateway', 'image-worker', 'product', 'upload'];
  const trace = await until(
    async () => {
      const found = await jaeger.trace(traceId);
      const services = new Set(Object.values(found?.processes ?? {}).map((process) => process.serviceName));
      const consumed = found?.spans.filter((span) => span.operationName.endsWith('image-events process')).length;
      return expected.every((service) => services.has(service)) && consumed === 2 && found;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  const serviceOf = (processId: string) => trace.processes[processId]?.serviceName;
  const byId = new Map(trace.spans.map((span) => [span.spanID, span]));
  // The parent's service of the span `name` of `service` (the gateway and upload server spans share a name).
  const parentService = (name: string, service?: string) => {
    const span = trace.spans.find(
      (candidate) => candidate.operationName === name && (!service || serviceOf(candidate.processID) === service),
    );
    const parent = byId.get(span?.references.find((reference) => reference.refType === 'CHILD_OF')?.spanID ?? '');
    return parent && serviceOf(parent.processID);
  };
  expect(trace.traceID).toBe(traceId);
  expect(parentService('POST /api/upload', 'upload')).toBe('gateway');
  expect(parentService('image.process process')).toBe('upload');
  expect(parentService('product.image-events process')).toBe('image-worker');
  expect(parentService('upload.image-events process')).toBe('image-worker');
});
