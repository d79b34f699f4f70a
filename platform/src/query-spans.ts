import { type Attributes, type Context, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

/**
 * One CLIENT span per SQL statement, under the span that issued it, named and described as
 * @opentelemetry/instrumentation-pg names them (`pg.query:SELECT <database>`, db.* and server.*
 * attributes). Written here instead of taking that instrumentation: it wraps every query and its
 * callback, and builds a span with its attributes, even for a request the sampler does not keep. Here a
 * statement whose parent is not recorded costs one check; a recorded one gets its span when it ends,
 * with the start time measured before it was sent. Off until tracing turns it on (`pg` in
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS, as before).
 */
const tracer = trace.getTracer('@ipp/platform/postgres');
let enabled = false;

/** Called by tracing.ts when SQL spans are selected. */
export function enableQuerySpans() {
  enabled = true;
}

export type Connection = { database?: string; host?: string; port?: number };

export type QueryTrace = { parent: Context; startTime: number };

/** The parent and start time of a statement about to be sent, when its span will be recorded. */
export function beginQuery(): QueryTrace | undefined {
  if (!enabled) return undefined;
  const parent = context.active();
  if (!trace.getSpan(parent)?.isRecording()) return undefined;
  return { parent, startTime: performance.now() };
}

/** The operation a statement starts with (`SELECT`, `INSERT`, …), as instrumentation-pg reads it. */
function operationOf(text: string) {
  const trimmed = text.trim();
  const space = trimmed.indexOf(' ');
  const command = (space === -1 ? trimmed : trimmed.slice(0, space)).toUpperCase();
  return command.endsWith(';') ? command.slice(0, -1) : command;
}

/** Records the span of a statement that has ended; `error` when it failed. */
export function endQuery(
  begun: QueryTrace,
  query: { text: string; name?: string },
  connection: Connection,
  error?: unknown,
) {
  const endTime = performance.now();
  const operation = query.name || operationOf(query.text);
  const attributes: Attributes = {
    'db.system.name': 'postgresql',
    'db.namespace': connection.database,
    'server.address': connection.host,
    'server.port': connection.port,
    'db.query.text': query.text,
  };
  if (query.name) attributes['db.postgresql.plan'] = query.name;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') attributes['error.type'] = code;
  const span = tracer.startSpan(
    `pg.query:${operation}${connection.database ? ` ${connection.database}` : ''}`,
    { kind: SpanKind.CLIENT, startTime: begun.startTime, attributes },
    begun.parent,
  );
  if (error instanceof Error) {
    span.recordException({ name: error.name, message: error.message });
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  // An explicit end time: given only a start time, the SDK would end the span at Date.now() (milliseconds).
  span.end(endTime);
}
