/** Where a public path goes: one of the upstream services, the gateway's own pages, or nowhere. */
export type UpstreamName = 'product' | 'upload' | 'health' | 'web' | 'auth';
export type Route =
  | { kind: 'proxy'; upstream: UpstreamName; name: string }
  | { kind: 'docs'; name: string; page: string }
  | { kind: 'refused'; reason: 'ambiguous' | 'not_found'; name: string };

// Tried in order: `exact` matches the path itself, `below` anything under it, `tree` both.
const TABLE: { path: string; match: 'exact' | 'below' | 'tree'; upstream: UpstreamName }[] = [
  { path: '/api/products', match: 'tree', upstream: 'product' },
  { path: '/api/upload', match: 'exact', upstream: 'upload' },
  { path: '/api/uploads', match: 'tree', upstream: 'upload' },
  { path: '/api/status', match: 'below', upstream: 'upload' },
  { path: '/files', match: 'below', upstream: 'upload' },
  { path: '/api/keys', match: 'tree', upstream: 'auth' },
  { path: '/health', match: 'tree', upstream: 'health' },
  // The web app's pages and their assets (services/web).
  { path: '/', match: 'exact', upstream: 'web' },
  { path: '/upload', match: 'exact', upstream: 'web' },
  { path: '/requests', match: 'tree', upstream: 'web' },
  { path: '/products', match: 'tree', upstream: 'web' },
  { path: '/status', match: 'exact', upstream: 'web' },
  { path: '/key', match: 'exact', upstream: 'web' },
  { path: '/assets', match: 'below', upstream: 'web' },
];
const DOCS = new Set(['/api/openapi.json', '/api/docs', '/api/docs/scalar.js', '/api/docs/reference.js']);
// The pages that explain each problem `type`.
const PROBLEMS = '/problems/';

// Anything an upstream might resolve differently from us: dot segments, encoded dots, slashes,
// backslashes or NULs, empty segments. (Node's parser already refuses raw control characters.)
const AMBIGUOUS = /(^|\/)\.\.?(\/|$)|%2e|%2f|%5c|%00|\\|\/\//i;

/** The path part of a request target, or undefined when the target is not origin-form (`/…`). */
export function pathOf(target: string): string | undefined {
  if (target.charCodeAt(0) !== 47) return undefined;
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/** Matches a raw request target against the routing table; the path is forwarded unchanged. */
export function resolveRoute(target: string): Route {
  const path = pathOf(target);
  if (path === undefined || AMBIGUOUS.test(path)) return { kind: 'refused', reason: 'ambiguous', name: 'refused' };
  if (DOCS.has(path)) return { kind: 'docs', name: path, page: path };
  if (path.startsWith(PROBLEMS)) return { kind: 'docs', name: `${PROBLEMS}*`, page: path };
  for (const rule of TABLE) {
    if (!path.startsWith(rule.path)) continue;
    const exact = path.length === rule.path.length;
    const below = !exact && path.charCodeAt(rule.path.length) === 47;
    if ((exact && rule.match !== 'below') || (below && rule.match !== 'exact')) {
      return { kind: 'proxy', upstream: rule.upstream, name: exact ? rule.path : `${rule.path}/*` };
    }
  }
  return { kind: 'refused', reason: 'not_found', name: 'unmatched' };
}
