import type { IncomingMessage, ServerResponse } from 'node:http';
import { KEY_ID_HEADER, VISIBILITY_HEADER } from '@ipp/contracts';
import { type Logger, requestIdFrom } from '@ipp/platform';
import { type ServerSpan, startServerSpan } from '@ipp/platform/telemetry';
import { type AuthMode, decideAccess } from './access.ts';
import { createAllowedMethods } from './allowed-methods.ts';
import { type ClientAddress, clientAddress } from './client-address.ts';
import type { StaticPage } from './docs.ts';
import { createEventStreams, isEventStream } from './event-streams.ts';
import type { GatewayMetrics } from './gateway-metrics.ts';
import { createKeyStore, type KeyStore, type Principal, type Verification } from './key-store.ts';
import { sendProblem } from './problem.ts';
import { createUpstream, type ForwardContext, forward } from './proxy.ts';
import type { Quota, RateLimits } from './rate-limit.ts';
import { createRequestRecorder } from './request-log.ts';
import { createCors, SECURITY_HEADERS } from './response-headers.ts';
import { pathOf, type Route, resolveRoute, type UpstreamName } from './route-table.ts';

export type GatewayOptions = {
  /** The web app is optional: without it its pages are 404, as before it existed. */
  upstreams: Record<Exclude<UpstreamName, 'web'>, string> & { web?: string };
  logger: Logger;
  /** Writes the one line per request; the general logger when not given. */
  requestLogger?: Logger;
  metrics: GatewayMetrics;
  rateLimits: RateLimits;
  docs: Record<string, StaticPage>;
  /** `API_KEYS`, the simple mode's static keys; used when no key store is given. */
  apiKeys?: string[];
  /** Where keys are verified; by default one holding `apiKeys` only. */
  keyStore?: KeyStore;
  /** Default: `writes` when static keys are configured (as before managed keys), else `off`. */
  authMode?: AuthMode;
  /** Uploads belong to the key that made them (AUTH_MODE set to writes or all); not in the simple mode. */
  uploadsOwned?: boolean;
  corsOrigins?: string[];
  trustProxyHops?: number;
  maxBodyBytes?: number;
  uploadMaxBytes?: number;
  upstreamTimeoutMs?: number;
  /** Event streams (`GET /api/uploads/{id}/events`) one client may hold open at once. */
  maxStreamsPerClient?: number;
};

function addRateLimitHeaders(headers: Record<string, string>, quota: Quota) {
  headers['ratelimit-limit'] = String(quota.limit);
  headers['ratelimit-remaining'] = String(quota.remaining);
  headers['ratelimit-reset'] = String(quota.resetSeconds);
}

/** An upload: the API's, or the web app's form that passes one on to it (the same body limit and budget). */
function isUpload(route: Route, method: string | undefined) {
  return method === 'POST' && (route.name === '/api/upload' || route.name === '/upload');
}

function firstValue(value: string | string[] | undefined) {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * What the upload service is told of the caller (and the client can never say itself): the key's id, which
 * owns the uploads it makes, and whether it sees every client's uploads (`admin`) or only its own.
 */
function identityHeaders(principal: Principal | undefined) {
  const visibility = principal?.scopes.has('admin') ? 'all' : 'own';
  return principal ? [KEY_ID_HEADER, principal.id, VISIBILITY_HEADER, visibility] : [VISIBILITY_HEADER, visibility];
}

/**
 * The public request handler: plain node:http on the hot path (no Web Request conversion), keep-alive
 * upstream pools, one log line and one metrics observation per request.
 */
export function createGateway(options: GatewayOptions) {
  const {
    logger,
    requestLogger = logger,
    metrics,
    rateLimits,
    docs,
    apiKeys = [],
    authMode = apiKeys.length > 0 ? 'writes' : 'off',
    uploadsOwned = false,
    trustProxyHops = 0,
    maxBodyBytes = 65_536,
    uploadMaxBytes = 26_214_400,
    upstreamTimeoutMs = 30_000,
    maxStreamsPerClient = 10,
  } = options;
  const upstreams = {
    product: createUpstream(options.upstreams.product),
    upload: createUpstream(options.upstreams.upload),
    health: createUpstream(options.upstreams.health),
    ...(options.upstreams.web ? { web: createUpstream(options.upstreams.web) } : {}),
    auth: createUpstream(options.upstreams.auth),
  } as Partial<Record<UpstreamName, ReturnType<typeof createUpstream>>>;
  // Streams hold their upstream connection for as long as they are open: a pool of their own, unbounded (the
  // per-client limit bounds it), so they never leave the API's requests waiting for a connection.
  const streamUpstream = createUpstream(options.upstreams.upload, null);
  const streams = createEventStreams({ maxPerClient: maxStreamsPerClient });
  const keys = options.keyStore ?? createKeyStore({ staticKeys: apiKeys, logger });
  const allowedMethods = createAllowedMethods();
  const record = createRequestRecorder({ logger: requestLogger, metrics });
  const cors = createCors(options.corsOrigins ?? []);

  function dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    context: ForwardContext,
    key: Verification,
    client: string,
  ) {
    if (route.kind === 'refused') {
      if (route.reason === 'ambiguous') {
        sendProblem(res, context, 'validation_failed', 'The path is not in canonical form');
      } else {
        sendProblem(res, context, 'not_found', `No route for ${req.method} ${req.url?.split('?', 1)[0]}`);
      }
      return;
    }
    const allow = allowedMethods(pathOf(req.url ?? '') ?? '');
    if (allow && !allow.includes(req.method ?? '')) {
      sendProblem(res, context, 'method_not_allowed', `${req.method} is not allowed here`, { allow: allow.join(', ') });
      return;
    }
    const access = decideAccess(authMode, req.method ?? 'GET', route.name, key);
    if (!access.allowed) {
      sendProblem(res, context, access.code, access.detail, access.headers);
      return;
    }
    if (access.principal) context.keyId = access.principal.id;
    if (uploadsOwned && route.kind === 'proxy' && route.upstream === 'upload') {
      context.identity = identityHeaders(access.principal);
    }
    if (route.kind === 'docs') {
      const page = docs[route.page];
      if (!page) {
        sendProblem(res, context, 'not_found', `No page at ${route.page}`);
        return;
      }
      res.writeHead(200, {
        ...context.headers,
        'content-type': page.contentType,
        'content-length': page.body.length,
        'cache-control': 'public, max-age=300',
        ...page.headers,
      });
      res.end(req.method === 'HEAD' ? undefined : page.body);
      context.bytes.out += page.body.length;
      return;
    }
    const upstream = upstreams[route.upstream];
    if (!upstream) {
      sendProblem(res, context, 'not_found', `No route for ${req.method} ${req.url?.split('?', 1)[0]}`);
      return;
    }
    if (isUpload(route, req.method)) context.maxBodyBytes = uploadMaxBytes;
    if (req.method === 'GET' && isEventStream(pathOf(req.url ?? ''))) {
      openStream(req, res, context, client);
      return;
    }
    forward(req, res, upstream, context, upstreamTimeoutMs);
  }

  /** An event stream, counted against the client's limit while it is open. */
  function openStream(req: IncomingMessage, res: ServerResponse, context: ForwardContext, client: string) {
    const release = streams.acquire(client, () => context.stop?.());
    if (!release) {
      if (streams.closing()) {
        sendProblem(res, context, 'unavailable', 'The gateway is shutting down; reconnect', { 'retry-after': '1' });
        return;
      }
      metrics.refused('/api/uploads/*/events');
      sendProblem(
        res,
        context,
        'rate_limited',
        `At most ${maxStreamsPerClient} event streams may be open at once per client; close one first`,
        // Closed: a connection kept alive after this early answer held the server's shutdown until its deadline.
        { 'retry-after': '5', connection: 'close' },
      );
      return;
    }
    res.once('close', release);
    forward(req, res, streamUpstream, context, upstreamTimeoutMs, { stream: true });
  }

  function handle(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    address: ClientAddress,
    span: ServerSpan | undefined,
  ) {
    const started = performance.now();
    const route = resolveRoute(req.url ?? '');
    const trustedProto =
      trustProxyHops > 0 ? firstValue(req.headers['x-forwarded-proto'])?.split(',', 1)[0]?.trim() : undefined;
    const context: ForwardContext = {
      requestId,
      headers: { 'x-request-id': requestId, ...SECURITY_HEADERS },
      forwardedFor: address.chain,
      forwardedProto: trustedProto || 'http',
      maxBodyBytes,
      bytes: { in: 0, out: 0 },
      trace: span?.context,
    };
    res.once('close', () => {
      record(req, res, route, context, address.client, started, span?.ids);
      if (!span?.recording) return;
      span.end(route.name, res.headersSent ? res.statusCode : 499, {
        'client.address': address.client,
        'http.response.header.x-request-id': [requestId],
        // Which service answered, and how the exchange failed when it did (refused, timeout, reset…).
        ...(route.kind === 'proxy' ? { 'gateway.upstream': route.upstream } : {}),
        ...(context.keyId ? { 'gateway.key_id': context.keyId } : {}),
        ...(context.failure ? { 'error.type': context.failure } : {}),
      });
    });
    if (cors(req, res, context.headers)) return;

    const key = keys.verify(req.headers.authorization);
    const principal = key.kind === 'valid' ? key.principal : undefined;
    // A verified key is the client: its own budget (of its own size, if it carries one), wherever it comes from.
    const client = principal?.id ?? address.client;
    // Health is never limited; nor are the web app's static assets, which every page view fetches.
    if (route.kind === 'proxy' && (route.upstream === 'health' || route.name === '/assets/*')) {
      dispatch(req, res, route, context, key, client);
      return;
    }
    rateLimits.consume(client, isUpload(route, req.method), principal).then(
      (quota) => {
        if (res.destroyed) return;
        addRateLimitHeaders(context.headers, quota);
        if (!quota.allowed) {
          metrics.refused(route.name);
          sendProblem(res, context, 'rate_limited', `Rate limit exceeded; retry in ${quota.resetSeconds} s`, {
            'retry-after': String(Math.max(1, quota.resetSeconds)),
          });
          return;
        }
        dispatch(req, res, route, context, key, client);
      },
      (error: unknown) => {
        // A limiter that fails outright must not take the API down with it.
        logger.error({ err: error, request_id: requestId }, 'rate limiting failed; serving unlimited');
        dispatch(req, res, route, context, key, client);
      },
    );
  }

  /**
   * The request listener. A kept exchange runs in the context of its server span (a Redis rate-limit call
   * is its child); one not kept only passes its context upstream, which `forward` does explicitly.
   */
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdFrom(firstValue(req.headers['x-request-id']));
    const address = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustProxyHops);
    const path = req.url?.split('?', 1)[0] ?? '/';
    const headers = { get: (name: string) => req.headers[name], names: () => Object.keys(req.headers) };
    const span = startServerSpan(req.method ?? 'GET', path, headers);
    if (span?.recording) span.run(() => handle(req, res, requestId, address, span));
    else handle(req, res, requestId, address, span);
  };

  return {
    handle: listener,
    /** Ends every open event stream cleanly and refuses new ones (first at shutdown: the server waits on none). */
    closeStreams: () => streams.close(),
    openStreams: () => streams.count(),
    /** Closes the upstream pools once their in-flight requests are done (at shutdown). */
    close: () =>
      Promise.all([...Object.values(upstreams), streamUpstream].map((upstream) => upstream?.pool.close())).then(
        () => undefined,
      ),
  };
}
