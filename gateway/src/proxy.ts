import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { KEY_ID_HEADER, VISIBILITY_HEADER } from '@ipp/contracts';
import { PROPAGATION_HEADER, type TraceContext, traceContextHeaders } from '@ipp/platform/telemetry';
import { type Dispatcher, Pool } from 'undici';
import { sendProblem } from './problem.ts';

// Hop-by-hop headers (RFC 9110 §7.6.1), ones undici sets itself, and ones the gateway rewrites.
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
  // Who the caller is comes from the gateway alone, never from a client.
  KEY_ID_HEADER,
  VISIBILITY_HEADER,
]);
const NOT_RETURNED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'trailer',
  'upgrade',
  'x-request-id',
  'x-powered-by',
]);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export type ForwardContext = {
  requestId: string;
  /** The gateway's own response headers (request id, security, rate limit, CORS), set on every answer. */
  headers: Record<string, string>;
  forwardedFor: string;
  forwardedProto: string;
  maxBodyBytes: number;
  /** Bytes read from the client and written back to it, for the request log. */
  bytes: { in: number; out: number };
  /** The trace context passed upstream: the gateway's server span, kept or not (unset without one). */
  trace?: TraceContext;
  /** The id of the verified key (never the key), for the log, the span and the upstream. */
  keyId?: string;
  /** Headers naming the caller to the upstream (name, value, …): its key id and what it may see. */
  identity?: string[];
  /** Why the exchange failed, for the log and metrics; unset when it did not. */
  failure?: 'refused' | 'timeout' | 'aborted' | 'too_large' | 'reset';
  /** Set by `forward` for an event stream: ends it cleanly (upstream cancelled, response ended), at shutdown. */
  stop?: () => void;
};

export type Upstream = { pool: Pool; host: string };

/**
 * A service behind the gateway with its own pool of kept-alive connections. undici's dispatcher is
 * the fast path here: about half the CPU per request of http.request with a keep-alive Agent.
 */
export function createUpstream(url: string, connections: number | null = 128): Upstream {
  const parsed = new URL(url);
  return { host: parsed.host, pool: new Pool(parsed.origin, { connections, keepAliveTimeout: 60_000 }) };
}

function forwardHeaders(req: IncomingMessage, upstream: Upstream, context: ForwardContext) {
  // Headers the client named in Connection are hop-by-hop too.
  const connection = req.headers.connection;
  const listed = connection
    ? new Set(
        connection
          .toLowerCase()
          .split(',')
          .map((token) => token.trim()),
      )
    : undefined;
  // With tracing on, the gateway's span is the upstream's parent: the client's context headers give way.
  const traceContext = traceContextHeaders(context.trace);
  const traced = Object.keys(traceContext).length > 0;
  const raw = req.rawHeaders;
  const headers: string[] = [];
  for (let index = 0; index < raw.length; index += 2) {
    const name = (raw[index] as string).toLowerCase();
    if (NOT_FORWARDED.has(name) || listed?.has(name)) continue;
    if (traced && PROPAGATION_HEADER.test(name)) continue;
    headers.push(name, raw[index + 1] as string);
  }
  for (const name in traceContext) headers.push(name, traceContext[name] as string);
  headers.push(
    'host',
    upstream.host,
    'x-forwarded-for',
    context.forwardedFor,
    'x-forwarded-proto',
    context.forwardedProto,
  );
  if (req.headers.host) headers.push('x-forwarded-host', req.headers.host);
  headers.push('x-request-id', context.requestId);
  if (context.identity) headers.push(...context.identity);
  return headers;
}

/**
 * The gateway's headers and the upstream's (which win a clash), as one object: written by one writeHead,
 * never setHeader, which keeps Node on its fast path.
 */
function returnedHeaders(upstream: IncomingHttpHeaders, own: Record<string, string>) {
  const headers: IncomingHttpHeaders = { ...own };
  for (const name in upstream) {
    if (!NOT_RETURNED.has(name)) headers[name] = upstream[name];
  }
  return headers;
}

/**
 * 413, then the rest of the body is read and dropped, as nginx does: a client still sending would otherwise meet
 * a reset instead of the answer. The server's request timeout bounds how long that may take.
 */
function tooLarge(req: IncomingMessage, res: ServerResponse, context: ForwardContext) {
  context.failure = 'too_large';
  sendProblem(res, context, 'payload_too_large', `The body exceeds ${context.maxBodyBytes} bytes`);
  req.resume();
}

/**
 * Streams the request to the upstream and its response back. An upstream that refuses or resets is a
 * 502, one that sends nothing for `timeoutMs` a 504; a client that goes away cancels the upstream
 * request; a body over `maxBodyBytes` is cut off with a 413. The outcome is left in `context`.
 * An event stream (`stream`) must answer its headers within `timeoutMs` but may then stay open for as long
 * as it likes, each chunk passed on as it comes; `context.stop` ends it.
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: Upstream,
  context: ForwardContext,
  timeoutMs: number,
  options: { stream?: boolean } = {},
) {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > context.maxBodyBytes) {
    tooLarge(req, res, context);
    return;
  }
  const hasBody = declared !== undefined ? declared !== '0' : req.headers['transfer-encoding'] !== undefined;
  let body: PassThrough | null = null;
  if (hasBody) {
    // The body goes through a PassThrough so a cut-off stops the upstream without killing the client socket.
    body = new PassThrough();
    const sink = body;
    req.on('data', (chunk: Buffer) => {
      context.bytes.in += chunk.length;
      if (context.bytes.in <= context.maxBodyBytes || context.failure) return;
      req.unpipe(sink);
      tooLarge(req, res, context);
      sink.destroy(new Error('request body too large'));
    });
    req.pipe(body);
  }

  // An answer given before the whole body arrived closes the connection: the rest of the body is never read.
  const unreadBody = (): Record<string, string> => (req.complete ? {} : { connection: 'close' });
  let controller: Dispatcher.DispatchController | undefined;
  let stopped = false;
  if (options.stream) {
    context.stop = () => {
      if (stopped || res.writableEnded) return;
      stopped = true;
      controller?.abort(new Error('gateway shutting down'));
      // The stream ends whole (its last chunk written), then its connection closes: the server is closing.
      if (res.headersSent) res.end(() => res.socket?.destroy());
      else sendProblem(res, context, 'unavailable', 'The gateway is shutting down; reconnect', { 'retry-after': '1' });
    };
  }
  res.on('close', () => {
    if (res.writableFinished) return;
    context.failure ??= 'aborted';
    controller?.abort(new Error('client closed the connection'));
  });

  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(started) {
      controller = started;
      if (context.failure === 'aborted') started.abort(new Error('client closed the connection'));
      if (stopped) started.abort(new Error('gateway shutting down'));
    },
    onResponseStart(_controller, statusCode, headers) {
      // Informational answers (103 Early Hints) are not relayed; the final status follows.
      if (statusCode < 200 || stopped) return;
      res.writeHead(statusCode, { ...returnedHeaders(headers, context.headers), ...unreadBody() });
    },
    onResponseData(current, chunk) {
      if (stopped) return;
      context.bytes.out += chunk.length;
      if (!res.write(chunk)) {
        current.pause();
        res.once('drain', () => current.resume());
      }
    },
    onResponseEnd() {
      if (!stopped) res.end();
    },
    onResponseError(_controller, error) {
      if (stopped || context.failure === 'aborted' || context.failure === 'too_large') return;
      if (TIMEOUTS.has((error as { code?: string }).code ?? '')) {
        context.failure = 'timeout';
        sendProblem(
          res,
          context,
          'gateway_timeout',
          `The upstream did not answer within ${timeoutMs} ms`,
          unreadBody(),
        );
        return;
      }
      context.failure = res.headersSent ? 'reset' : 'refused';
      sendProblem(res, context, 'bad_gateway', 'The upstream service is unavailable', unreadBody());
    },
  };

  try {
    upstream.pool.dispatch(
      {
        method: req.method as Dispatcher.HttpMethod,
        path: req.url as string,
        headers: forwardHeaders(req, upstream, context),
        body,
        headersTimeout: timeoutMs,
        // 0: no bound between an event stream's chunks (its heartbeats keep proxies and clients aware it is alive).
        bodyTimeout: options.stream ? 0 : timeoutMs,
      },
      handler,
    );
  } catch {
    // undici refuses a method, path or header value it would not put on the wire.
    sendProblem(res, context, 'validation_failed', 'The request cannot be forwarded as sent');
  }
}
