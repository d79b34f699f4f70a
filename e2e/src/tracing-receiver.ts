// An in-process OTLP/HTTP trace receiver for tests: services export to it with
// OTEL_EXPORTER_OTLP_PROTOCOL=http/json, and tests read back the spans of one trace.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
  links?: { traceId: string; spanId: string }[];
};
type ExportRequest = {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[];
  }[];
};

export type ReceivedSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  service: string;
  serviceVersion: string | undefined;
  scope: string | undefined;
  attributes: Record<string, string | number | boolean | undefined>;
  statusCode: number;
};

const KINDS = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

function plain(attributes: KeyValue[] = []) {
  return Object.fromEntries(
    attributes.map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue)),
    ]),
  );
}

function spansOf(request: ExportRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap(({ resource, scopeSpans }) => {
    const resourceAttributes = plain(resource?.attributes);
    return (scopeSpans ?? []).flatMap(({ scope, spans }) =>
      (spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        kind: KINDS[span.kind] ?? 'internal',
        service: String(resourceAttributes['service.name']),
        serviceVersion: resourceAttributes['service.version'] as string | undefined,
        scope: scope?.name,
        attributes: plain(span.attributes),
        statusCode: span.status?.code ?? 0,
      })),
    );
  });
}

/** Listens on 127.0.0.1; `endpoint` goes into OTEL_EXPORTER_OTLP_ENDPOINT. */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url !== '/v1/traces' || !String(request.headers['content-type']).includes('json')) {
        response.writeHead(415).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      spans.push(...spansOf(JSON.parse(body.toString('utf8')) as ExportRequest));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    /** Environment that makes a service export every span here within a fraction of a second. */
    env: {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
    spans,
    trace: (traceId: string) => spans.filter((span) => span.traceId === traceId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The span whose id is `span.parentSpanId`, within the same trace. */
export function parentOf(spans: ReceivedSpan[], span: ReceivedSpan) {
  return spans.find((candidate) => candidate.spanId === span.parentSpanId);
}

/** The first ancestor of `span` (walking parents) that belongs to another service. */
export function remoteParentOf(spans: ReceivedSpan[], span: ReceivedSpan) {
  let current = parentOf(spans, span);
  while (current && current.service === span.service) current = parentOf(spans, current);
  return current;
}
