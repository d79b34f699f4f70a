import type { FieldError } from '@ipp/contracts';
import { AppError } from '@ipp/platform';
import type { Context } from 'hono';
import type { z } from 'zod';

/** Every zod issue as a field error; unknown keys get one error each, at their own path. */
function fieldErrorsOf(error: z.ZodError, root: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [path, key].filter(Boolean).join('.'), message: 'unknown field' }));
    }
    return [{ path: path || root, message: issue.message }];
  });
}

/** Parses `value` with `schema`, or throws a 400 naming every invalid field (`root` names the value itself). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, root = 'body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = fieldErrorsOf(result.error, root);
  const detail =
    errors.length === 1 ? `${errors[0]?.path}: ${errors[0]?.message}` : `${errors.length} fields are invalid`;
  throw new AppError('validation_failed', detail, { errors });
}

/** The request's JSON body, checked against `schema`: a non-JSON content type is a 415, malformed JSON a 400. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new AppError('unsupported_media_type', 'The body must be JSON (Content-Type: application/json)', {
      errors: [{ path: 'body', message: 'Content-Type must be application/json' }],
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new AppError('validation_failed', 'The body is not valid JSON', {
      errors: [{ path: 'body', message: 'malformed JSON' }],
    });
  }
  return parseInput(schema, body);
}
