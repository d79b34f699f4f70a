import { Agent, type IncomingHttpHeaders, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { sendProblem } from './problem.ts';

// Hop-by-hop headers (RFC 9110 §7.6.1) and ones the gateway sets itself.
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
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

export type ForwardContext = {
  requestId: string;
  forwardedFor: string;
  forwardedProto: string;
  maxBodyBytes: number;
  /** Bytes read from the client and written back to it, for the request log. */
  bytes: { in: number; out: number };
  /** Why the exchange failed, for the log and metrics; unset when it did not. */
  failure?: 'refused' | 'timeout' | 'aborted' | 'too_large' | 'reset';
};

export type Upstream = { hostname: string; port: number; agent: Agent; host: string };

/** A target with its own keep-alive pool, so connections to each service are reused. */
export function createUpstream(url: string, maxSockets = 256): Upstream {
  const parsed = new URL(url);
  return {
    hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: Number(parsed.port || 80),
    host: parsed.host,
    agent: new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo', timeout: 60_000 }),
  };
}

function forwardHeaders(req: IncomingMessage, upstream: Upstream, context: ForwardContext) {
  const headers: IncomingHttpHeaders = {};
  const listed = req.headers.connection
    ?.toLowerCase()
    .split(',')
    .map((name) => name.trim());
  for (const name in req.headers) {
    if (NOT_FORWARDED.has(name) || listed?.includes(name)) continue;
    headers[name] = req.headers[name];
  }
  headers.host = upstream.host;
  headers['x-forwarded-for'] = context.forwardedFor;
  headers['x-forwarded-proto'] = context.forwardedProto;
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  headers['x-request-id'] = context.requestId;
  return headers;
}

/**
 * Streams the request to the upstream and its response back. An upstream that refuses or resets is a
 * 502, one idle for `timeoutMs` a 504; a client that goes away cancels the upstream request; a body
 * over `maxBodyBytes` is cut off with a 413. The outcome is left in `context` for the request log.
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: Upstream,
  context: ForwardContext,
  timeoutMs: number,
) {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > context.maxBodyBytes) {
    context.failure = 'too_large';
    res.setHeader('connection', 'close');
    context.bytes.out += sendProblem(
      res,
      'payload_too_large',
      `The body exceeds ${context.maxBodyBytes} bytes`,
      context.requestId,
    );
    return;
  }

  let outgoing: ReturnType<typeof request>;
  try {
    outgoing = request({
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: forwardHeaders(req, upstream, context),
      agent: upstream.agent,
    });
  } catch {
    // Node refuses a target or header value it would not put on the wire itself.
    context.bytes.out += sendProblem(
      res,
      'validation_failed',
      'The request cannot be forwarded as sent',
      context.requestId,
    );
    return;
  }
  outgoing.setTimeout(timeoutMs, () => {
    context.failure = 'timeout';
    outgoing.destroy();
  });
  outgoing.on('error', () => {
    if (context.failure === 'aborted' || context.failure === 'too_large') return;
    if (context.failure === 'timeout') {
      context.bytes.out += sendProblem(
        res,
        'gateway_timeout',
        `The upstream did not answer within ${timeoutMs} ms`,
        context.requestId,
      );
      return;
    }
    context.failure = res.headersSent ? 'reset' : 'refused';
    context.bytes.out += sendProblem(res, 'bad_gateway', 'The upstream service is unavailable', context.requestId);
  });
  outgoing.on('response', (incoming) => {
    const headers: IncomingHttpHeaders = {};
    for (const name in incoming.headers) {
      if (!NOT_RETURNED.has(name)) headers[name] = incoming.headers[name];
    }
    res.writeHead(incoming.statusCode ?? 502, headers);
    incoming.on('data', (chunk: Buffer) => {
      context.bytes.out += chunk.length;
    });
    incoming.on('aborted', () => {
      context.failure = 'reset';
      res.destroy();
    });
    incoming.pipe(res);
  });
  res.on('close', () => {
    if (res.writableFinished) return;
    context.failure ??= 'aborted';
    outgoing.destroy();
  });

  const hasBody = declared !== undefined ? declared !== '0' : req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    outgoing.end();
    return;
  }
  req.on('data', (chunk: Buffer) => {
    context.bytes.in += chunk.length;
    if (context.bytes.in <= context.maxBodyBytes || context.failure) return;
    context.failure = 'too_large';
    req.unpipe(outgoing);
    outgoing.destroy();
    res.setHeader('connection', 'close');
    context.bytes.out += sendProblem(
      res,
      'payload_too_large',
      `The body exceeds ${context.maxBodyBytes} bytes`,
      context.requestId,
    );
    req.resume();
  });
  req.pipe(outgoing);
}
