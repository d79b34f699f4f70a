import { OpenAPIHono } from '@hono/zod-openapi';
import type { FieldError } from '@ipp/contracts';
import type { z } from 'zod';
import { AppError } from './errors.ts';
import type { AppEnv } from './http-app.ts';

/** Every zod issue as a field error; an unknown key gets one error of its own, at its own path. */
function fieldErrorsOf(error: z.ZodError, root: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [path, key].filter(Boolean).join('.'), message: 'unknown field' }));
    }
    return [{ path: path || root, message: issue.message }];
  });
}

/** The 400 problem for a request that fails its route's declaration: every invalid field, by its path. */
export function invalidRequest(error: z.ZodError, root = 'body'): AppError {
  const errors = fieldErrorsOf(error, root);
  const detail =
    errors.length === 1 ? `${errors[0]?.path}: ${errors[0]?.message}` : `${errors.length} fields are invalid`;
  return new AppError('validation_failed', detail, { errors });
}

/**
 * Where a service mounts its public operations, each from its declaration in `@ipp/contracts/routes`
 * (`routes.openapi(route, handler)`): params, query, headers and JSON bodies are validated against it before
 * the handler runs, and a failure is the 400 problem naming every field. Mount it on the service's app
 * (`app.route('/', routes)`), whose middleware and error handling then apply.
 */
export function createApiRoutes() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(result.error, result.target === 'json' ? 'body' : result.target);
    },
  });
}
