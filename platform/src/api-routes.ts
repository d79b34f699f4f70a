import { OpenAPIHono } from '@hono/zod-openapi';
import { validationError } from './errors.ts';
import type { AppEnv } from './http-app.ts';

/**
 * Where a service mounts its public operations, each from its declaration in `@ipp/contracts/routes`
 * (`routes.openapi(route, handler)`): params, query, headers and JSON bodies are validated against it before
 * the handler runs, and a failure is the 400 problem naming every field. Mount it on the service's app
 * (`app.route('/', routes)`), whose middleware and error handling then apply.
 */
export function createApiRoutes() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target === 'json' ? 'body' : result.target);
    },
  });
}
