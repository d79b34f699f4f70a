import { publicRoutes } from '@ipp/contracts/routes';

type Template = { pattern: RegExp; allow: string[] };

/** The declared operations by path template: `{name}` matches one segment, as OpenAPI's templates do. */
function templatesOf(routes: readonly { method: string; path: string }[]): Template[] {
  const byPath = new Map<string, Set<string>>();
  for (const route of routes) {
    const methods = byPath.get(route.path) ?? new Set();
    methods.add(route.method.toUpperCase());
    if (route.method === 'get') methods.add('HEAD');
    byPath.set(route.path, methods);
  }
  return [...byPath].map(([path, methods]) => ({
    pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^/}]+\\?\}/g, '[^/]+')}$`),
    allow: [...methods],
  }));
}

/**
 * The methods a documented path accepts, or undefined for a path the document does not know (which the
 * services answer themselves, with 404).
 */
export function createAllowedMethods(routes: readonly { method: string; path: string }[] = publicRoutes) {
  const templates = templatesOf(routes);
  return (path: string): string[] | undefined => templates.find((template) => template.pattern.test(path))?.allow;
}
